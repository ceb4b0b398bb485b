import type { TestProject } from 'vitest/node';
import { migrate, openDatabase } from '../src/platform/db.js';
import { seedDemo } from '../src/seed/demo.js';
import { startPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set when TEST_DB=postgres: server URLs (without database) of the owner and of the API's plain role. */
    postgres: { ownerUrl: string; appUrl: string } | null;
  }
}

export const templateDatabase = 'cbp_template';

/**
 * TEST_DB=postgres: starts a real PostgreSQL server and prepares a template database with
 * migrations and demo data; each test file clones it (see harness.ts). Otherwise each test
 * file gets its own in-memory PGlite.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DB !== 'postgres') {
    project.provide('postgres', null);
    return;
  }
  const server = await startPostgres();
  await server.createDatabase(templateDatabase);
  const template = await openDatabase({ url: `${server.ownerUrl}/${templateDatabase}` });
  await migrate(template, { appRole: server.appRole });
  await template.close();
  // Seeded through the API's role, as the running API would.
  const seeding = await openDatabase({ url: `${server.appUrl}/${templateDatabase}` });
  await seedDemo(seeding.db);
  await seeding.close();
  project.provide('postgres', { ownerUrl: server.ownerUrl, appUrl: server.appUrl });
  return () => server.stop();
}
