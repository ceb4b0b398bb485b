import type { TestProject } from 'vitest/node';
import { migrate, openDatabase } from '../src/platform/db.js';
import { seedDemo } from '../src/seed/demo.js';
import { startPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set when TEST_DB=postgres: server URL (without database) of the app's non-superuser role. */
    postgresUrl: string | null;
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
    project.provide('postgresUrl', null);
    return;
  }
  const server = await startPostgres();
  await server.createDatabase(templateDatabase);
  const template = await openDatabase({ url: `${server.baseUrl}/${templateDatabase}` });
  await migrate(template);
  await seedDemo(template.db);
  await template.close();
  project.provide('postgresUrl', server.baseUrl);
  return () => server.stop();
}
