import { once } from 'node:events';
import { Readable } from 'node:stream';
import { ZipArchive } from 'archiver';
import { and, desc, eq, sql } from 'drizzle-orm';
import { metricTypes, type OrganizationExport, type OrganizationExportStarted } from '@cbp/contracts';
import { z } from 'zod';
import type { ObjectStorage } from '../../adapters/storage/port.js';
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
// transaction. Everything the workflow writes goes through the object-storage port (disk or S3),
// so any API copy can run any of its steps and serve the download:
// - one remote step per section streams its part to `exports/<tenant>/<export id>.parts/<file>`
//   (invoice PDFs under `invoices/`); a put is atomic, so a step that runs again after a crash
//   rewrites its part whole, and finished steps are never redone;
// - `zip` streams the parts, one at a time, through archiver into `exports/<tenant>/<export id>.zip`
//   (an archive already stored is kept: a retry after the upload writes nothing again), then
//   deletes the parts;
// - `complete` marks the row ready and raises `export.ready` for the requester, once (only the
//   transition from `running` does);
// - after ORGANIZATION_EXPORT_TTL_MS (7 days) `remove-archive` deletes the object and `expire`
//   marks the row expired.
// Every section is read through the owning module's service, page by page; the audit trail
// streams from the audit export (keyset batches): memory stays flat for any trail size
// (docs/benchmarks.md, organization export).

export const organizationExportWorkflowType = 'organization.export';
export const organizationExportWorkflowId = (exportId: string) => `organization-export:${exportId}`;

const pageSize = 100;

export interface OrganizationExportDeps {
  db: AppDb;
  engine: WorkflowEngine;
  /** Where the archives are (exports/<tenant>/<export id>.zip). */
  storage: ObjectStorage;
  /** How long an archive is kept (ORGANIZATION_EXPORT_TTL_MS). */
  ttlMs: number;
}

/** Every object of the tenant's exports (archives and parts) is under this prefix (organization deletion removes it whole). */
export const exportPrefixOf = (tenantId: string) => `exports/${tenantId}/`;
/** The archive's object key (also stored in the row's `file_key`). */
export const exportArchiveKey = (tenantId: string, exportId: string) => `${exportPrefixOf(tenantId)}${exportId}.zip`;
const partKeyOf = (tenantId: string, exportId: string, file: string) => `${exportPrefixOf(tenantId)}${exportId}.parts/${file}`;

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

/**
 * The archive as a stream from object storage (ready only), the download audited in the same
 * transaction that found it (no entry when the object cannot be opened). Another tenant's id: 404.
 */
export async function openExportDownload(deps: Pick<OrganizationExportDeps, 'db' | 'storage'>, ctx: TenantContext, id: string): Promise<{ body: Readable; size: number; name: string }> {
  // Held outside the transaction: an audit insert that fails after the object was opened closes it.
  const opened: { object?: { body: Readable; size: number } } = {};
  try {
    const { row, object } = await withTenant(deps.db, ctx.tenantId, async (tx) => {
      const [found] = await tx.select().from(organizationExports).where(and(eq(organizationExports.tenantId, ctx.tenantId), eq(organizationExports.id, id)));
      if (!found) throw notFound('Export');
      if (found.status !== 'ready' || !found.fileKey) throw new AppError(409, 'CONFLICT', found.status === 'expired' ? 'This export has expired; request a new one.' : 'This export is not ready yet.');
      const stored = await deps.storage.getStream(found.fileKey);
      if (!stored) throw new AppError(409, 'CONFLICT', 'This export’s archive is no longer available; request a new one.');
      opened.object = stored;
      await recordAuditEntry(tx, ctx, { action: 'organization.export_downloaded', targetType: 'organization_export', targetId: found.id, metadata: { size: stored.size } });
      return { row: found, object: stored };
    });
    return { body: object.body, size: object.size, name: `organization-export-${row.createdAt.toISOString().slice(0, 10)}.zip` };
  } catch (err) {
    opened.object?.body.destroy();
    throw err;
  }
}

// --- The workflow ------------------------------------------------------------------------------

export interface OrganizationExportWorkflowDeps {
  db: AppDb;
  /** Where parts and archives go (unset in the Temporal sandbox, where step bodies never run). */
  storage?: ObjectStorage | undefined;
  /** Gateway, seller and customer details for the invoice PDFs. */
  billing: BillingDeps;
  /** Crash test hook (CBP_TEST_CRASH_AT=export-after-archive): SIGKILL once the archive is stored, before the step's checkpoint. */
  crashAfterArchive?: boolean;
}

const ExportInput = z.object({ exportId: z.uuid(), ttlMs: z.number().int().positive() });

/** What a section writes its part (and attachments) with. */
interface PartWriter {
  tenantId: string;
  requestedBy: string | null;
  /** Streams `chunks` into the part `file` (atomic); the bytes stored. */
  stream(file: string, chunks: AsyncIterable<string | Buffer>, contentType: string): Promise<number>;
  /** Stores a small part (an invoice PDF) whole. */
  put(file: string, data: Buffer, contentType: string): Promise<void>;
}

interface SectionResult {
  file: string;
  bytes: number;
  rows: number;
  /** Further parts of the section (invoice PDFs), as zip entry names. */
  attachments?: string[];
}

/** A JSON array element by element from an async source (no whole array in memory). */
async function* jsonArray(items: AsyncIterable<unknown>, counted: { rows: number }): AsyncGenerator<string> {
  yield '[\n';
  for await (const item of items) {
    yield `${counted.rows === 0 ? '' : ',\n'}${JSON.stringify(item)}`;
    counted.rows++;
  }
  yield '\n]\n';
}

async function writeJsonArray(part: PartWriter, file: string, items: AsyncIterable<unknown>): Promise<SectionResult> {
  const counted = { rows: 0 };
  const bytes = await part.stream(file, jsonArray(items, counted), 'application/json');
  return { file, bytes, rows: counted.rows };
}

async function* single(text: string): AsyncGenerator<string> {
  yield text;
}

async function writeJson(part: PartWriter, file: string, value: unknown): Promise<SectionResult> {
  const bytes = await part.stream(file, single(`${JSON.stringify(value, null, 2)}\n`), 'application/json');
  return { file, bytes, rows: Array.isArray(value) ? value.length : 1 };
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
  write: (part: PartWriter) => Promise<SectionResult>;
}

function sections(deps: OrganizationExportWorkflowDeps): Section[] {
  const { db, billing } = deps;
  return [
    {
      name: 'members',
      write: (part) => writeJsonArray(part, 'members.json', paged((page) => listMembers(db, part.tenantId, { page, limit: pageSize }))),
    },
    {
      name: 'organization',
      write: async (part) => writeJson(part, 'organization.json', { profile: await getProfile(db, part.tenantId), settings: await getSettings(db, part.tenantId) }),
    },
    {
      name: 'domains',
      write: async (part) => writeJson(part, 'domains.json', await listOrganizationDomains(db, part.tenantId)),
    },
    {
      name: 'subscriptions',
      write: async (part) => {
        const subscription = await currentSubscription(billing, part.tenantId).catch((err: unknown) => {
          if (err instanceof AppError && err.status === 404) return null;
          throw err;
        });
        return writeJson(part, 'subscriptions.json', subscription ? [subscription] : []);
      },
    },
    {
      name: 'invoices',
      write: async (part) => {
        const attachments: string[] = [];
        async function* withPdfs() {
          for await (const invoice of paged((page) => invoicesOf(billing, part.tenantId, { page, limit: pageSize }))) {
            const { number, pdf } = await invoicePdf(billing, part.tenantId, invoice.id);
            const name = `invoices/${number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`;
            await part.put(name, pdf, 'application/pdf');
            attachments.push(name);
            yield { ...invoice, pdf: name };
          }
        }
        return { ...(await writeJsonArray(part, 'invoices.json', withPdfs())), attachments };
      },
    },
    {
      name: 'payment-methods',
      write: async (part) => {
        // Metadata only: brand, last 4 digits, expiry. The gateway never gave CBP a card number.
        const methods = (await listMethods({ db, gateway: billing.gateway, publishableKey: null }, part.tenantId)).map((m) => ({
          id: m.id,
          type: m.type,
          isDefault: m.isDefault,
          card: m.card ? { brand: m.card.brand, last4: m.card.last4, expMonth: m.card.expMonth, expYear: m.card.expYear, funding: m.card.funding } : null,
          bankAccount: m.bankAccount ? { bankName: m.bankAccount.bankName, last4: m.bankAccount.last4 } : null,
          billingDetails: m.billingDetails,
          createdAt: m.createdAt,
        }));
        return writeJson(part, 'payment-methods.json', methods);
      },
    },
    {
      name: 'usage',
      write: async (part) => {
        const summaries = await listUsageSummaries(db, part.tenantId, undefined);
        const daily: Record<string, unknown> = {};
        for (const metric of metricTypes) daily[metric] = await usageTrend(db, part.tenantId, metric, { months: 24, granularity: 'day' });
        return writeJson(part, 'usage.json', { summaries, daily });
      },
    },
    {
      name: 'audit-trail',
      write: async (part) => {
        // The audit export streams keyset batches of 1,000: flat memory whatever the trail's size.
        let lines = 0;
        const csv = await openAuditExport(db, part.tenantId, {}, 'csv');
        async function* counted(): AsyncGenerator<string> {
          for await (const chunk of csv as AsyncIterable<string | Buffer>) {
            const text = String(chunk);
            for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
            yield text;
          }
        }
        const bytes = await part.stream('audit-trail.csv', counted(), 'text/csv');
        return { file: 'audit-trail.csv', bytes, rows: Math.max(0, lines - 1) };
      },
    },
    {
      name: 'notifications',
      write: async (part) => {
        // Notifications are per member: the requester's own inbox.
        const requestedBy = part.requestedBy;
        const items = requestedBy
          ? paged((page) =>
              getNotifications(
                db,
                { actor: { type: 'user', id: requestedBy, email: '' }, tenantId: part.tenantId, role: 'owner', ipAddress: null, userAgent: null },
                { page, limit: pageSize },
              ),
            )
          : (async function* () {})();
        return writeJsonArray(part, 'notifications.json', items);
      },
    },
  ];
}

/**
 * Streams the zip into `key`: the manifest, then each part read from storage one at a time (the
 * next is opened once archiver has consumed the previous one), so memory holds a few chunks
 * whatever the sizes. Resolves with the archive's size; on any failure nothing is stored.
 */
async function writeArchive(storage: ObjectStorage, key: string, manifest: Buffer, parts: { name: string; key: string }[]): Promise<number> {
  const archive = new ZipArchive({ zlib: { level: 6 } });
  const upload = storage.putStream(key, archive, 'application/zip');
  const stop = new AbortController();
  let current: Readable | undefined;
  const append = async (source: Buffer | Readable, name: string) => {
    const added = once(archive, 'entry', { signal: stop.signal });
    archive.append(source, { name });
    await added;
  };
  const fill = async () => {
    await append(manifest, 'manifest.json');
    for (const part of parts) {
      const stored = await storage.getStream(part.key);
      if (!stored) throw new Error(`organization export: the part ${part.key} is missing`);
      current = stored.body;
      await append(stored.body, part.name);
    }
    await archive.finalize();
  };
  try {
    const [{ size }] = await Promise.all([upload, fill()]);
    return size;
  } catch (err) {
    stop.abort();
    current?.destroy();
    archive.destroy();
    await upload.catch(() => undefined);
    throw err;
  }
}

export function organizationExportWorkflows(deps: OrganizationExportWorkflowDeps) {
  const storage = () => {
    if (!deps.storage) throw new Error('organization.export needs object storage');
    return deps.storage;
  };
  return [
    defineWorkflow({
      type: organizationExportWorkflowType,
      parseInput: (input) => ExportInput.parse(input),
      async run(ctx, { exportId, ttlMs }) {
        const tenantId = ctx.tenantId;
        if (!tenantId) throw new Error(`${organizationExportWorkflowType} is a tenant workflow`);
        const archiveKey = exportArchiveKey(tenantId, exportId);
        const requestedBy = await ctx.step('prepare', async ({ tx }) => {
          const [row] = await tx.select().from(organizationExports).where(eq(organizationExports.id, exportId));
          return row?.requestedBy ?? null;
        });
        const manifest: { section: string; file: string; bytes: number; rows: number }[] = [];
        const attachments: string[] = [];
        for (const section of sections(deps)) {
          const written = await ctx.remoteStep(`section-${section.name}`, async () => {
            const part: PartWriter = {
              tenantId,
              requestedBy,
              stream: async (file, chunks, contentType) => (await storage().putStream(partKeyOf(tenantId, exportId, file), Readable.from(chunks, { objectMode: false }), contentType)).size,
              put: (file, data, contentType) => storage().put(partKeyOf(tenantId, exportId, file), data, contentType),
            };
            const { attachments: more = [], ...result } = await section.write(part);
            return { ...result, attachments: more };
          });
          manifest.push({ section: section.name, file: written.file, bytes: written.bytes, rows: written.rows });
          attachments.push(...written.attachments);
        }
        const size = await ctx.remoteStep('zip', async () => {
          const files = [...manifest.map((m) => m.file), ...attachments];
          // Written once: an archive stored by an attempt that died before its checkpoint is kept.
          const size =
            (await storage().head(archiveKey))?.size ??
            (await writeArchive(
              storage(),
              archiveKey,
              Buffer.from(`${JSON.stringify({ exportId, tenantId, generatedAt: new Date().toISOString(), sections: manifest }, null, 2)}\n`),
              files.map((name) => ({ name, key: partKeyOf(tenantId, exportId, name) })),
            ));
          if (deps.crashAfterArchive) process.kill(process.pid, 'SIGKILL');
          for (const name of files) await storage().delete(partKeyOf(tenantId, exportId, name));
          return size;
        });
        await ctx.step('complete', async ({ tx }) => {
          const [row] = await tx
            .update(organizationExports)
            .set({ status: 'ready', sizeBytes: size, fileKey: archiveKey, completedAt: new Date() })
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
        await ctx.remoteStep('remove-archive', () => storage().delete(archiveKey));
        await ctx.step('expire', async ({ tx }) => {
          // No file key once the object is gone (the table's check: ready exactly when a file is).
          await tx.update(organizationExports).set({ status: 'expired', fileKey: null }).where(eq(organizationExports.id, exportId));
        });
        return { exportId, size };
      },
    }),
  ];
}
