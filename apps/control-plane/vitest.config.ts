import { defineConfig } from 'vitest/config';

// `*.pg.test.ts` files are fault tests that start their own PostgreSQL server (stopping it,
// killing the API beside it): they run once, in the PostgreSQL pass, not again on PGlite.
const postgresOnly = 'src/**/*.pg.test.ts';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: process.env.TEST_DB === 'postgres' ? [] : [postgresOnly],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
