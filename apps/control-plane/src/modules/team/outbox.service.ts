import { count, desc, eq } from 'drizzle-orm';
import type { OutboxMessage, PageQuery } from '@cbp/contracts';
import { withTenant, type AppDb } from '../../platform/db.js';
import { mailOutbox } from '../../platform/schema.js';

/** The tenant's mail, newest first (captured in the outbox, or queued/sent through SMTP). */
export async function listOutbox(db: AppDb, tenantId: string, { page, limit }: PageQuery): Promise<{ data: OutboxMessage[]; total: number }> {
  return withTenant(db, tenantId, async (tx) => {
    const where = eq(mailOutbox.tenantId, tenantId);
    const [rows, [total]] = await Promise.all([
      tx.select().from(mailOutbox).where(where).orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id)).limit(limit).offset((page - 1) * limit),
      tx.select({ n: count() }).from(mailOutbox).where(where),
    ]);
    return {
      data: rows.map((r) => ({
        id: r.id,
        to: r.toAddress,
        subject: r.subject,
        text: r.bodyText,
        kind: r.kind,
        status: r.status,
        createdAt: r.createdAt.toISOString(),
        sentAt: r.sentAt ? r.sentAt.toISOString() : null,
      })),
      total: total?.n ?? 0,
    };
  });
}
