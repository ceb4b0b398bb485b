import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { and, desc, eq, sql } from 'drizzle-orm';
import { metricTypes, type OrganizationExport, type OrganizationExportStarted } from '@cbp/contracts';
import { z } from 'zod';
import { defineWorkflow, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { recordAuditEntry } from '../../platform/audit.js';
import type { TenantContext } from '../../platform/context.js';
import { queryRows, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { AppError, notFound } from '../../platform/errors.js';
import { publishEvent } from '../../platform/events.js';
import { organizationExports } from '../../platform/schema.js';
import { openAuditExport } from '../audit-logs/audit-export.js';
import { invoicePdf, invoicesOf } from '../billing/invoices.service.js';
import { currentSubscription, type BillingDeps } from '../billing/subscriptions.service.js';
import { getNotifications } from '../notifications/notifications.service.js';
import { listMethods } from '../payment-methods/payment-methods.service.js';
import { listMembers } from '../team/team.service.js';
import { listUsageSummaries, usageTrend } from '../usage/usage-reports.service.js';
import { listOrganizationDomains } from './domains.service.js';
import { getProfile, getSettings } from './organization.service.js';

// GDPR export (issue 15, slice 3). POST /organization/export inserts the row (status `running`)
// and starts `organization.export` (workflow id `organization-export:<export id>`) in the same
// transaction. The workflow writes one section file per remote step under
// CBP_DATA_DIR/exports/<tenant>/<export id>.parts/ (each written to a temporary name, then
// renamed: a step that runs again after a crash rewrites its file whole, and finished steps are
// never redone), then `zip` streams the parts into <export id>.zip (archiver; temporary name,
// renamed; an existing zip is kept), `complete` marks the row ready and raises `export.ready`
// for the requester, and after ORGANIZATION_EXPORT_TTL_MS (7 days) `expire` removes the file.
// Every section is read through the owning module's service, page by page; the audit trail
// streams from the audit export (keyset batches), so memory stays flat for any trail size.

export const organizationExportWorkflowType = 'organization.export';
export const organizationExportWorkflowId = (exportId: string) => `organization-export:${exportId}`;

const pageSize = 100;

export interface OrganizationExportDeps {
  db: AppDb;
  engine: WorkflowEngine;
  /** CBP_DATA_DIR: archives go to <dataDir>/exports/<tenant>/. */
  dataDir: string;
  /** How long an archive is kept (ORGANIZATION_EXPORT_TTL_MS). */
  ttlMs: number;
}

const fileKeyOf = (tenantId: string, exportId: string) => `exports/${tenantId}/${exportId}.zip`;

type ExportRow = typeof organizationExports.$inferSelect;

function exportFrom(row: ExportRow, run: { id: string; status: string } | undefined): OrganizationExport {
  // A run that failed for good leaves the row `running`: the run says what happened.
  const status = row.status === 'running' && run && (run.status === 'failed' || run.status === 'cancelled' || run.status === 'timed_out') ? 'failed' : row.status;
  return {
    id: row.id,
    status,
    size: row.sizeBytes,
    workflowId: row.workflowId,
    runId: run?.id ?? null,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt.toISOString(),
  };
}

async function runsOf(tx: ScopedTx, tenantId: string, workflowIds: string[]): Promise<Map<string, { id: string; status: string }>> {
  if (workflowIds.length === 0) return new Map();
  const rows = await queryRows<{ id: string; workflow_id: string; status: string }>(
    tx,
    sql`SELECT id, workflow_id, status FROM workflow_runs WHERE tenant_id = ${tenantId} AND workflow_id IN (${sql.join(
      workflowIds.map((w) => sql`${w}`),
      sql`, `,
    )})`,
  );
  return new Map(rows.map((r) => [r.workflow_id, { id: r.id, status: r.status }]));
}

/** Starts an export (owner): the row and the workflow in one transaction, audited. */
export async function requestExport(deps: OrganizationExportDeps, ctx: TenantContext): Promise<OrganizationExportStarted> {
  const requestedBy = ctx.actor.type === 'user' ? ctx.actor.id : null;
  const started = await withTenant(deps.db, ctx.tenantId, async (tx) => {
    const [running] = await tx
      .select({ id: organizationExports.id })
      .from(organizationExports)
      .where(and(eq(organizationExports.tenantId, ctx.tenantId), eq(organizationExports.status, 'running'), sql`${organizationExports.createdAt} > now() - interval '1 hour'`))
      .limit(1);
    if (running) throw new AppError(409, 'CONFLICT', 'An export is already being prepared; wait for it to finish.');
    const id = crypto.randomUUID();
    const workflowId = organizationExportWorkflowId(id);
    await tx.insert(organizationExports).values({
      id,
      tenantId: ctx.tenantId,
      workflowId,
      status: 'running',
      requestedBy,
      expiresAt: new Date(Date.now() + deps.ttlMs),
    });
    await recordAuditEntry(tx, ctx, { action: 'organization.export_requested', targetType: 'organization_export', targetId: id, after: { status: 'running' } });
    await deps.engine.start({ type: organizationExportWorkflowType, tenantId: ctx.tenantId, workflowId, input: { exportId: id, ttlMs: deps.ttlMs } }, { tx });
    return { id, workflowId };
  });
  deps.engine.wake();
  return started;
}

export async function listExports(db: AppDb, tenantId: string): Promise<{ data: OrganizationExport[]; total: number }> {
  return withTenant(db, tenantId, async (tx) => {
    const rows = await tx.select().from(organizationExports).where(eq(organizationExports.tenantId, tenantId)).orderBy(desc(organizationExports.createdAt)).limit(100);
    const runs = await runsOf(tx, tenantId, rows.map((r) => r.workflowId));
    return { data: rows.map((r) => exportFrom(r, runs.get(r.workflowId))), total: rows.length };
  });
}

/** The archive as a stream (ready only), with the download audited first. Another tenant's id: 404. */
export async function openExportDownload(deps: Pick<OrganizationExportDeps, 'db' | 'dataDir'>, ctx: TenantContext, id: string): Promise<{ body: Readable; size: number; name: string }> {
  const row = await withTenant(deps.db, ctx.tenantId, async (tx) => {
    const [found] = await tx.select().from(organizationExports).where(and(eq(organizationExports.tenantId, ctx.tenantId), eq(organizationExports.id, id)));
    if (!found) throw notFound('Export');
    if (found.status !== 'ready' || !found.fileKey) throw new AppError(409, 'CONFLICT', found.status === 'expired' ? 'This export has expired; request a new one.' : 'This export is not ready yet.');
    await recordAuditEntry(tx, ctx, { action: 'organization.export_downloaded', targetType: 'organization_export', targetId: found.id, metadata: { size: found.sizeBytes } });
    return found;
  });
  const file = path.join(deps.dataDir, row.fileKey ?? '');
  const size = (await stat(file)).size;
  return { body: createReadStream(file), size, name: `organization-export-${row.createdAt.toISOString().slice(0, 10)}.zip` };
}

// --- The workflow ------------------------------------------------------------------------------

export interface OrganizationExportWorkflowDeps {
  db: AppDb;
  /** CBP_DATA_DIR (unset in the Temporal sandbox, where step bodies never run). */
  dataDir?: string | undefined;
  /** Gateway, seller and customer details for the invoice PDFs. */
  billing: BillingDeps;
}

const ExportInput = z.object({ exportId: z.uuid(), ttlMs: z.number().int().positive() });

/** Writes `<file>` whole: a temporary name, then a rename. */
async function writeAtomically(file: string, write: (tmp: string) => Promise<void>): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await write(tmp);
  await rename(tmp, file);
  return (await stat(file)).size;
}

/** A JSON array written element by element from an async source (no whole array in memory). */
async function writeJsonArray(file: string, items: AsyncIterable<unknown>): Promise<{ bytes: number; rows: number }> {
  let rows = 0;
  const bytes = await writeAtomically(file, async (tmp) => {
    async function* chunks(): AsyncGenerator<string> {
      yield '[\n';
      for await (const item of items) {
        yield `${rows === 0 ? '' : ',\n'}${JSON.stringify(item)}`;
        rows++;
      }
      yield '\n]\n';
    }
    await pipeline(Readable.from(chunks()), createWriteStream(tmp));
  });
  return { bytes, rows };
}

async function writeJson(file: string, value: unknown): Promise<{ bytes: number; rows: number }> {
  const bytes = await writeAtomically(file, (tmp) => writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`));
  return { bytes, rows: Array.isArray(value) ? value.length : 1 };
}

/** Pages of a service's list until a short page. */
async function* paged<T>(page: (n: number) => Promise<{ data: T[] }>): AsyncGenerator<T> {
  for (let n = 1; n <= 100_000; n++) {
    const { data } = await page(n);
    yield* data;
    if (data.length < pageSize) return;
  }
}

interface Section {
  name: string;
  write: (dir: string, tenantId: string, requestedBy: string | null) => Promise<{ file: string; bytes: number; rows: number }>;
}

function sections(deps: OrganizationExportWorkflowDeps): Section[] {
  const { db, billing } = deps;
  return [
    {
      name: 'members',
      write: async (dir, tenantId) => ({ file: 'members.json', ...(await writeJsonArray(path.join(dir, 'members.json'), paged((page) => listMembers(db, tenantId, { page, limit: pageSize })))) }),
    },
    {
      name: 'organization',
      write: async (dir, tenantId) => ({
        file: 'organization.json',
        ...(await writeJson(path.join(dir, 'organization.json'), { profile: await getProfile(db, tenantId), settings: await getSettings(db, tenantId) })),
      }),
    },
    {
      name: 'domains',
      write: async (dir, tenantId) => ({ file: 'domains.json', ...(await writeJson(path.join(dir, 'domains.json'), await listOrganizationDomains(db, tenantId))) }),
    },
    {
      name: 'subscriptions',
      write: async (dir, tenantId) => {
        const subscription = await currentSubscription(billing, tenantId).catch((err: unknown) => {
          if (err instanceof AppError && err.status === 404) return null;
          throw err;
        });
        return { file: 'subscriptions.json', ...(await writeJson(path.join(dir, 'subscriptions.json'), subscription ? [subscription] : [])) };
      },
    },
    {
      name: 'invoices',
      write: async (dir, tenantId) => {
        const pdfDir = path.join(dir, 'invoices');
        await mkdir(pdfDir, { recursive: true });
        async function* withPdfs() {
          for await (const invoice of paged((page) => invoicesOf(billing, tenantId, { page, limit: pageSize }))) {
            const { number, pdf } = await invoicePdf(billing, tenantId, invoice.id);
            const name = `${number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`;
            await writeAtomically(path.join(pdfDir, name), (tmp) => writeFile(tmp, pdf));
            yield { ...invoice, pdf: `invoices/${name}` };
          }
        }
        return { file: 'invoices.json', ...(await writeJsonArray(path.join(dir, 'invoices.json'), withPdfs())) };
      },
    },
    {
      name: 'payment-methods',
      write: async (dir, tenantId) => {
        // Metadata only: brand, last 4 digits, expiry. The gateway never gave CBP a card number.
        const methods = (await listMethods({ db, gateway: billing.gateway, publishableKey: null }, tenantId)).map((m) => ({
          id: m.id,
          type: m.type,
          isDefault: m.isDefault,
          card: m.card ? { brand: m.card.brand, last4: m.card.last4, expMonth: m.card.expMonth, expYear: m.card.expYear, funding: m.card.funding } : null,
          bankAccount: m.bankAccount ? { bankName: m.bankAccount.bankName, last4: m.bankAccount.last4 } : null,
          billingDetails: m.billingDetails,
          createdAt: m.createdAt,
        }));
        return { file: 'payment-methods.json', ...(await writeJson(path.join(dir, 'payment-methods.json'), methods)) };
      },
    },
    {
      name: 'usage',
      write: async (dir, tenantId) => {
        const summaries = await listUsageSummaries(db, tenantId, undefined);
        const daily: Record<string, unknown> = {};
        for (const metric of metricTypes) daily[metric] = await usageTrend(db, tenantId, metric, { months: 24, granularity: 'day' });
        return { file: 'usage.json', ...(await writeJson(path.join(dir, 'usage.json'), { summaries, daily })) };
      },
    },
    {
      name: 'audit-trail',
      write: async (dir, tenantId) => {
        // The audit export streams keyset batches: flat memory whatever the trail's size.
        let rows = 0;
        const bytes = await writeAtomically(path.join(dir, 'audit-trail.csv'), async (tmp) => {
          const csv = await openAuditExport(db, tenantId, {}, 'csv');
          csv.on('data', (chunk: string | Buffer) => {
            rows += (String(chunk).match(/\n/g) ?? []).length;
          });
          await pipeline(csv, createWriteStream(tmp));
        });
        return { file: 'audit-trail.csv', bytes, rows: Math.max(0, rows - 1) };
      },
    },
    {
      name: 'notifications',
      write: async (dir, tenantId, requestedBy) => {
        // Notifications are per member: the requester's own inbox.
        const items = requestedBy
          ? paged((page) =>
              getNotifications(
                db,
                { actor: { type: 'user', id: requestedBy, email: '' }, tenantId, role: 'owner', ipAddress: null, userAgent: null },
                { page, limit: pageSize },
              ),
            )
          : (async function* () {})();
        return { file: 'notifications.json', ...(await writeJsonArray(path.join(dir, 'notifications.json'), items)) };
      },
    },
  ];
}

export function organizationExportWorkflows(deps: OrganizationExportWorkflowDeps) {
  const dataDir = () => {
    if (!deps.dataDir) throw new Error('organization.export needs CBP_DATA_DIR');
    return deps.dataDir;
  };
  return [
    defineWorkflow({
      type: organizationExportWorkflowType,
      parseInput: (input) => ExportInput.parse(input),
      async run(ctx, { exportId, ttlMs }) {
        const tenantId = ctx.tenantId;
        if (!tenantId) throw new Error(`${organizationExportWorkflowType} is a tenant workflow`);
        const tenantDir = () => path.join(dataDir(), 'exports', tenantId);
        const partsDir = () => path.join(tenantDir(), `${exportId}.parts`);
        const requestedBy = await ctx.step('prepare', async ({ tx }) => {
          const [row] = await tx.select().from(organizationExports).where(eq(organizationExports.id, exportId));
          return row?.requestedBy ?? null;
        });
        const manifest: { section: string; file: string; bytes: number; rows: number }[] = [];
        for (const section of sections(deps)) {
          const written = await ctx.remoteStep(`section-${section.name}`, async () => {
            await mkdir(partsDir(), { recursive: true });
            return section.write(partsDir(), tenantId, requestedBy);
          });
          manifest.push({ section: section.name, ...written });
        }
        const size = await ctx.remoteStep('zip', async () => {
          const zip = path.join(tenantDir(), `${exportId}.zip`);
          const existing = await stat(zip).catch(() => null);
          if (existing) return existing.size;
          await writeJson(path.join(partsDir(), 'manifest.json'), { exportId, tenantId, generatedAt: new Date().toISOString(), sections: manifest });
          const bytes = await writeAtomically(zip, async (tmp) => {
            const archive = new ZipArchive({ zlib: { level: 6 } });
            const out = createWriteStream(tmp);
            const done = pipeline(archive, out);
            // Invoices' PDFs in invoices/, the rest at the top.
            for (const entry of await readdir(partsDir(), { withFileTypes: true })) {
              if (entry.name.endsWith('.tmp')) continue;
              if (entry.isDirectory()) archive.directory(path.join(partsDir(), entry.name), entry.name);
              else archive.file(path.join(partsDir(), entry.name), { name: entry.name });
            }
            await archive.finalize();
            await done;
          });
          await rm(partsDir(), { recursive: true, force: true });
          return bytes;
        });
        await ctx.step('complete', async ({ tx }) => {
          const [row] = await tx
            .update(organizationExports)
            .set({ status: 'ready', sizeBytes: size, fileKey: fileKeyOf(tenantId, exportId), completedAt: new Date() })
            .where(and(eq(organizationExports.id, exportId), eq(organizationExports.status, 'running')))
            .returning();
          if (row) {
            await publishEvent(tx, {
              tenantId,
              type: 'export.ready',
              payload: { exportId, size, subjectUserIds: row.requestedBy ? [row.requestedBy] : [] },
            });
          }
        });
        await ctx.sleep('keep', ttlMs);
        await ctx.step('expire', async ({ tx }) => {
          await rm(path.join(tenantDir(), `${exportId}.zip`), { force: true });
          await tx.update(organizationExports).set({ status: 'expired' }).where(eq(organizationExports.id, exportId));
        });
        return { exportId, size };
      },
    }),
  ];
}
