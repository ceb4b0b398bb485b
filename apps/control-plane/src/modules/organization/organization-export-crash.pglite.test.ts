import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import type { OrganizationExport } from '@cbp/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { createCrashFolder, eventually, type CrashFolder } from '../../../test/api-crash-folder.js';
import { startFakeS3, type FakeS3 } from '../../../test/fake-s3.js';
import { platformRows } from '../../platform/db.js';
import { demoTenants } from '../../seed/demo.js';

// kill -9 of the API in the middle of a GDPR export: the real API (OBJECT_STORAGE=s3 against a
// fake S3 living in this test process, so the bucket outlives the API) owns a PGlite folder and
// runs the export with CBP_TEST_CRASH_AT=export-after-archive: it SIGKILLs itself once the
// archive is stored, before the `zip` step's checkpoint. Restarted without the hook, it takes the
// run over: the archive is not written again, the parts are removed, the export becomes ready
// once, with one `export.ready` event and one notification. Runs in the PGlite pass only.

const run = promisify(execFile);
const acme = demoTenants[0];
let folder: CrashFolder | undefined;
let s3: FakeS3 | undefined;

afterAll(async () => {
  await folder?.close();
  await s3?.close();
}, 30_000);

describe('kill -9 between the export archive upload and its checkpoint (PGlite, S3)', () => {
  it('resumes without writing the archive again and announces it once', async () => {
    folder = await createCrashFolder('cbp-export-crash-');
    const { dataDir, withDatabase } = folder;
    s3 = await startFakeS3();
    const env = {
      NOTIFICATION_DIGEST_INTERVAL_MS: '0',
      OBJECT_STORAGE: 's3',
      S3_BUCKET: s3.bucket,
      S3_REGION: s3.region,
      S3_ENDPOINT: s3.url,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    };

    const first = await folder.startApi(env, 'export-after-archive');
    const res = await first.request('/organization/export', { method: 'POST', email: 'owner@acme.test', tenantId: acme.id });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const archiveKey = `exports/${acme.id}/${id}.zip`;
    await folder.waitForCrash(first);

    // Dead after the upload: the archive is in the bucket, its parts too, the step not checkpointed.
    expect(s3.objects.has(archiveKey)).toBe(true);
    expect(s3.count('PutObject', archiveKey)).toBe(1);
    expect([...s3.objects.keys()].some((k) => k.startsWith(`exports/${acme.id}/${id}.parts/`))).toBe(true);
    const crashed = await withDatabase(async (database) => {
      const [row] = await platformRows<{ status: string }>(database.db, sql`SELECT status FROM organization_exports WHERE id = ${id}`);
      const steps = await platformRows<{ name: string; status: string }>(
        database.db,
        sql`SELECT s.name, s.status FROM workflow_steps s JOIN workflow_runs r ON r.id = s.run_id WHERE r.workflow_id = ${`organization-export:${id}`}`,
      );
      return { row: row?.status, zip: steps.find((s) => s.name === 'zip')?.status ?? 'none', complete: steps.some((s) => s.name === 'complete') };
    });
    expect(crashed.row).toBe('running');
    expect(crashed.zip).not.toBe('completed');
    expect(crashed.complete).toBe(false);

    const api = await folder.startApi(env);
    const done = await eventually(
      async () => {
        const list = (await (await api.request('/organization/exports', { email: 'owner@acme.test', tenantId: acme.id })).json()) as { data: OrganizationExport[] };
        const found = list.data.find((e) => e.id === id);
        return found?.status === 'running' ? undefined : found;
      },
      90_000,
      () => `the export did not finish after the restart:\n${api.output()}`,
    );
    expect(done?.status).toBe('ready');
    // Not written again; the parts are gone; the download is the stored archive with every section.
    expect(s3.count('PutObject', archiveKey) + s3.count('CreateMultipartUpload', archiveKey)).toBe(1);
    expect([...s3.objects.keys()].filter((k) => k.includes('.parts/'))).toEqual([]);
    const download = await api.request(`/organization/exports/${id}/download`, { email: 'owner@acme.test', tenantId: acme.id });
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.equals(s3.objects.get(archiveKey)?.data ?? Buffer.alloc(0))).toBe(true);
    const file = path.join(dataDir, 'export.zip');
    await writeFile(file, bytes);
    const listing = (await run('unzip', ['-Z1', file])).stdout.split('\n').filter(Boolean);
    expect(listing).toEqual(expect.arrayContaining(['manifest.json', 'members.json', 'invoices.json', 'audit-trail.csv', 'notifications.json', 'usage.json']));

    // The requester's notification arrives (delivered by the restarted API), once.
    await eventually(
      async () => {
        const page = (await (await api.request('/notifications?type=export.ready', { email: 'owner@acme.test', tenantId: acme.id })).json()) as { data: unknown[] };
        return page.data.length > 0 ? true : undefined;
      },
      30_000,
      () => `no export.ready notification:\n${api.output()}`,
    );
    await api.kill('SIGTERM');

    const after = await withDatabase(async (database) => {
      const [counts] = await platformRows<{ rows: number; events: number; notifications: number; zipAttempts: number }>(
        database.db,
        sql`SELECT (SELECT count(*)::int FROM organization_exports WHERE tenant_id = ${acme.id}) AS rows,
                   (SELECT count(*)::int FROM domain_events WHERE type = 'export.ready' AND payload->>'exportId' = ${id}) AS events,
                   (SELECT count(*)::int FROM notifications n JOIN domain_events e ON e.id = n.event_id WHERE n.type = 'export.ready' AND e.payload->>'exportId' = ${id}) AS notifications,
                   (SELECT s.attempts FROM workflow_steps s JOIN workflow_runs r ON r.id = s.run_id WHERE r.workflow_id = ${`organization-export:${id}`} AND s.name = 'zip') AS "zipAttempts"`,
      );
      return counts;
    });
    // The zip step ran twice (the killed attempt and the resumed one); everything else happened once.
    expect(after).toMatchObject({ rows: 1, events: 1, notifications: 1, zipAttempts: 2 });
    expect(s3.unexpected).toEqual([]);
  }, 300_000);
});
