import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { OrganizationExport, WorkflowStatusDetail } from '@cbp/contracts';
import { inPlatformScope } from '../../apps/control-plane/src/platform/db.js';
import { demoTenants } from '../../apps/control-plane/src/seed/demo.js';
import { startBenchApi, type BenchApi } from '../support.js';

const run = promisify(execFile);
const entries = Number(process.env.BENCH_EXPORT_ENTRIES ?? 1_000_000);
/** Trail sizes the export is measured at, the last one `entries`: flat memory means the same peak at each. */
const checkpoints = [...new Set([Math.min(100_000, entries), entries])];
const acme = demoTenants[0].id;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

interface Memory {
  rss: number;
  heap: number;
  /** Buffers outside the V8 heap (zlib, sockets, file streams). */
  external: number;
}

/** Peak RSS, V8 heap used and external memory of this process (the API runs in it) while `during` runs. */
async function peakDuring<T>(during: () => Promise<T>, everyMs = 25): Promise<{ result: T; peak: Memory }> {
  const peak: Memory = { rss: 0, heap: 0, external: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  try {
    return { result: await during(), peak };
  } finally {
    clearInterval(timer);
    sample();
  }
}

/** Memory at rest: after a collection (when `--expose-gc` is on) and two idle seconds. */
async function atRest(): Promise<Memory> {
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(1_000);
  return (await peakDuring(() => sleep(2_000))).peak;
}

async function seed(api: BenchApi, from: number, to: number) {
  // Like bench/suites/audit.ts: through the chain and word-index triggers, 100k rows a statement.
  for (let start = from + 1; start <= to; start += 100_000) {
    const end = Math.min(to, start + 99_999);
    await api.database.execScript(inPlatformScope(`
      INSERT INTO audit_logs (tenant_id, actor_type, actor_id, actor_email, action, target_type, target_id, target_name, after, metadata, ip_address, user_agent, created_at)
      SELECT '${acme}', 'user', overlay(overlay(md5('actor' || (g % 40)) placing '4' from 13) placing '8' from 17)::uuid, 'user' || (g % 40) || '@acme.test',
             (ARRAY['member.role_changed','payment_method.added','subscription.plan_changed','organization.updated','quota.reset',
                    'member.invited','member.removed','workflow.cancelled','domain.verified','invoice.paid'])[1 + g % 10],
             (ARRAY['user','payment_method','subscription','organization','quota','invitation'])[1 + g % 6],
             'obj-' || (g % 5000), 'Object ' || (g % 5000), jsonb_build_object('n', g), '{}', '10.0.0.' || (g % 250), 'bench',
             now() - ((${entries} - g) * interval '30 seconds')
      FROM generate_series(${start}, ${end}) AS g`));
    process.stdout.write(`\r  seeded ${end.toLocaleString('en-US')} entries`);
  }
  process.stdout.write('\n');
}

/**
 * GDPR export at scale: the owner of one tenant asks for an export while its audit trail holds
 * 100k, then 1M entries; the `organization.export` workflow runs in the API (this process) and
 * writes through the disk object storage. Measures the workflow's time per step and this
 * process's memory at rest and at its peak during the export, then during the download.
 */
export async function organizationExportSuite(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cbp-bench-export-'));
  const api = await startBenchApi({ CBP_DATA_DIR: dataDir, WORKFLOW_POLL_INTERVAL_MS: '200' });
  const headers = await api.headersFor('owner@acme.test', acme);
  const results: string[] = [];
  const downloads: string[] = [];
  try {
    let seeded = 0;
    for (const target of checkpoints) {
      const started = performance.now();
      await seed(api, seeded, target);
      seeded = target;
      console.log(`  seeding to ${target.toLocaleString('en-US')} took ${((performance.now() - started) / 1000).toFixed(0)} s`);
      await api.ownerQuery('VACUUM ANALYZE audit_logs');

      const before = await atRest();
      const exportStarted = performance.now();
      const { result: done, peak } = await peakDuring(async () => {
        const res = await fetch(`${api.address}/organization/export`, { method: 'POST', headers });
        if (res.status !== 202) throw new Error(`POST /organization/export: HTTP ${res.status} ${await res.text()}`);
        const { id } = (await res.json()) as { id: string };
        for (;;) {
          await sleep(250);
          const list = (await (await fetch(`${api.address}/organization/exports`, { headers })).json()) as { data: OrganizationExport[] };
          const found = list.data.find((e) => e.id === id);
          if (found && found.status !== 'running') return found;
        }
      });
      const seconds = (performance.now() - exportStarted) / 1000;
      if (done.status !== 'ready') throw new Error(`export ${done.status}`);
      const status = (await (await fetch(`${api.address}/workflows/${done.runId ?? ''}/status`, { headers })).json()) as WorkflowStatusDetail;
      const stepSeconds = (name: string) => {
        const step = status.steps.find((s) => s.name === name);
        return step?.startedAt && step.finishedAt ? ((Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000).toFixed(1) : '?';
      };
      const archive = path.join(dataDir, 'objects', 'exports', acme, `${done.id}.zip`);
      const manifest = JSON.parse((await run('unzip', ['-p', archive, 'manifest.json'], { maxBuffer: 1 << 20 })).stdout) as { sections: { section: string; bytes: number; rows: number }[] };
      const audit = manifest.sections.find((s) => s.section === 'audit-trail');
      results.push(
        `| ${target.toLocaleString('en-US')} | ${(audit?.rows ?? 0).toLocaleString('en-US')} | ${mb(audit?.bytes ?? 0)} | ${mb((await stat(archive)).size)} | ${seconds.toFixed(1)} | ${stepSeconds('section-audit-trail')} | ${stepSeconds('zip')} | ${mb(before.rss)} | ${mb(peak.rss)} | ${mb(before.heap)} | ${mb(peak.heap)} | ${mb(peak.external)} |`,
      );

      // The download streams the archive from storage to the client (read here and dropped).
      const rest = await atRest();
      const downloadStarted = performance.now();
      const { result: bytes, peak: downloadPeak } = await peakDuring(async () => {
        const res = await fetch(`${api.address}/organization/exports/${done.id}/download`, { headers });
        if (!res.ok || !res.body) throw new Error(`download: HTTP ${res.status}`);
        let n = 0;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
        return n;
      });
      downloads.push(
        `| ${target.toLocaleString('en-US')} | ${mb(bytes)} | ${((performance.now() - downloadStarted) / 1000).toFixed(1)} | ${mb(rest.rss)} | ${mb(downloadPeak.rss)} | ${mb(rest.heap)} | ${mb(downloadPeak.heap)} |`,
      );
    }
  } finally {
    await api.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`\nPostgreSQL (embedded), one tenant's audit trail at each size; the API and the export workflow in this process; gc ${(globalThis as { gc?: unknown }).gc ? 'on' : 'off'}`);
  console.log('| audit entries | audit rows in the zip | audit-trail.csv MB | zip MB | export s | audit section s | zip step s | RSS at rest MB | RSS peak MB | heap at rest MB | heap peak MB | external peak MB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const line of results) console.log(line);
  console.log('\n| audit entries | download MB | seconds | RSS at rest MB | RSS peak MB | heap at rest MB | heap peak MB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const line of downloads) console.log(line);
}
