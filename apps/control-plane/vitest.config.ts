import { defineConfig } from 'vitest/config';

// `*.pg.test.ts` files are fault tests that start their own PostgreSQL server (stopping it,
// killing the API beside it): they run once, in the PostgreSQL pass, not again on PGlite.
// `*.pglite.test.ts` files kill a process that owns a PGlite folder: PGlite pass only.
const postgresOnly = 'src/**/*.pg.test.ts';
const pgliteOnly = 'src/**/*.pglite.test.ts';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: process.env.TEST_DB === 'postgres' ? [pgliteOnly] : [postgresOnly],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // The files of a worker share its loaded modules: each file still builds its own app on its
    // own database (createTestContext), and loading the app once per worker instead of once per
    // file saves about a third of the suite's CPU time. No file may change module state for the
    // next (the one that mocks a module loads the app afresh and resets the modules after it).
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
