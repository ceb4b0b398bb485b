import { auditLogs } from './schema.js';
import type { ScopedTx } from './db.js';
import type { RequestContext } from './context.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  targetName?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  metadata?: Record<string, unknown>;
}

/** Field names whose values never reach the audit trail. */
const secretFields = /pass(word)?|secret|token|card_?number|cvc|cvv|iban|^number$/i;

function redact(value: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!value) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretFields.test(k) ? '[redacted]' : v;
  return out;
}

/**
 * Records an audit entry inside the transaction of the change it describes, so the entry
 * exists if and only if the change was committed. Only a scoped transaction (withTenant or
 * withPlatformScope) is accepted: row-level security needs the scope to let the entry in.
 */
export async function recordAuditEntry(tx: ScopedTx, ctx: RequestContext, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLogs).values({
    tenantId: ctx.tenantId,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    actorEmail: ctx.actor.email,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    targetName: entry.targetName ?? null,
    before: redact(entry.before),
    after: redact(entry.after),
    metadata: entry.metadata ?? {},
    ipAddress: ctx.ipAddress,
    userAgent: ctx.userAgent,
  });
}
