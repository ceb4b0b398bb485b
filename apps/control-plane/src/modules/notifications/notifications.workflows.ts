import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineWorkflow, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { queryRows, type ScopedTx } from '../../platform/db.js';
import { digestMessage, tenantNameOf, type DigestEntry, type NotificationMailDeps } from './notification-mail.js';

// The daily digest of notifications (issue 14), a platform workflow: one run per UTC day,
// `notifications-digest:<YYYY-MM-DD>`, started after that day ends by the `notification-digest`
// trigger (cbp-workflows.ts). For every member with the digest on (and email not switched off),
// one mail listing the day's unread notifications, in their organization.
//   send-digests-<n> (local) up to 100 members: the digest row (notification_digests, unique per
//                            tenant, user and day) and its mail in the outbox in one transaction;
//                            an existing row means sent already, so a second run of the same day,
//                            concurrent or later, sends nothing twice.
// While the digest is on, the instant email of non-critical types is held back (the fan-out in
// notifications.service.ts marks those rows `digest`); critical ones still come at once.

export const notificationDigestWorkflowType = 'notifications.digest';
export const notificationDigestWorkflowId = (day: string) => `notifications-digest:${day}`;

const DigestInput = z.object({ day: z.iso.date() });
const batchSize = 100;

const dayBounds = (day: string) => {
  const start = new Date(`${day}T00:00:00.000Z`);
  return { start: start.toISOString(), end: new Date(start.getTime() + 86_400_000).toISOString() };
};

/**
 * Queues the digests of up to `limit` members for `day` in the caller's platform-scope
 * transaction; answers how many members were due and how many mails were queued.
 */
export async function sendDigestBatch(tx: ScopedTx, mail: NotificationMailDeps, day: string, limit = batchSize): Promise<{ due: number; sent: number }> {
  const { start, end } = dayBounds(day);
  const due = await queryRows<{ tenant_id: string; user_id: string; email: string; name: string }>(
    tx,
    sql`SELECT s.tenant_id, s.user_id, u.email, u.name
        FROM notification_settings s
        JOIN users u ON u.id = s.user_id AND u.status = 'active'
        JOIN tenant_memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id AND m.status = 'active'
        WHERE s.digest
          AND coalesce((s.channels ->> 'email')::boolean, true)
          AND NOT EXISTS (SELECT 1 FROM notification_digests d WHERE d.tenant_id = s.tenant_id AND d.user_id = s.user_id AND d.day = ${day})
          AND EXISTS (SELECT 1 FROM notifications n
                      WHERE n.tenant_id = s.tenant_id AND n.user_id = s.user_id AND n.read_at IS NULL AND (n.in_app OR n.digest)
                        AND n.created_at >= ${start}::timestamptz AND n.created_at < ${end}::timestamptz)
        ORDER BY s.tenant_id, s.user_id
        LIMIT ${limit}`,
  );
  let sent = 0;
  const names = new Map<string, string>();
  for (const member of due) {
    const entries = await queryRows<{ title: string; body: string; severity: DigestEntry['severity']; link: string; created_at: Date | string }>(
      tx,
      sql`SELECT title, body, severity, link, created_at FROM notifications
          WHERE tenant_id = ${member.tenant_id} AND user_id = ${member.user_id} AND read_at IS NULL AND (in_app OR digest)
            AND created_at >= ${start}::timestamptz AND created_at < ${end}::timestamptz
          ORDER BY created_at, id
          LIMIT 200`,
    );
    // The unique key: a concurrent run waits here for the other's commit, then finds the row.
    const claimed = await queryRows<{ day: string }>(
      tx,
      sql`INSERT INTO notification_digests (tenant_id, user_id, day, notifications)
          VALUES (${member.tenant_id}, ${member.user_id}, ${day}, ${entries.length})
          ON CONFLICT DO NOTHING RETURNING day`,
    );
    if (claimed.length === 0 || entries.length === 0) continue;
    let tenantName = names.get(member.tenant_id);
    if (tenantName === undefined) {
      tenantName = await tenantNameOf(tx, member.tenant_id);
      names.set(member.tenant_id, tenantName);
    }
    await mail.mailer.send(
      tx,
      digestMessage(mail, {
        tenantId: member.tenant_id,
        tenantName,
        recipient: { userId: member.user_id, email: member.email, name: member.name },
        day,
        entries: entries.map((e) => ({ title: e.title, body: e.body, severity: e.severity, link: e.link, createdAt: new Date(e.created_at) })),
      }),
    );
    sent++;
  }
  return { due: due.length, sent };
}

export function notificationWorkflows(mail: NotificationMailDeps) {
  const digest = defineWorkflow({
    type: notificationDigestWorkflowType,
    parseInput: (input) => DigestInput.parse(input),
    async run(ctx, { day }) {
      let sent = 0;
      for (let batch = 1; batch <= 100_000; batch++) {
        const done = await ctx.step(`send-digests-${batch}`, async ({ tx }) => sendDigestBatch(tx, mail, day));
        sent += done.sent;
        if (done.due < batchSize) break;
      }
      return { day, sent };
    },
  });
  return [digest] as const;
}

/** The UTC day before `now` (YYYY-MM-DD): the last day that has ended. */
export const previousDay = (now: Date) => new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);

/**
 * The digest trigger (every NOTIFICATION_DIGEST_INTERVAL_MS): starts the run of the day that
 * ended last. Its workflow id is the day, so starting it again (another tick, another API copy)
 * answers the existing run.
 */
export async function startNotificationDigest(engine: WorkflowEngine, now = new Date()): Promise<number> {
  const day = previousDay(now);
  const run = await engine.start({ type: notificationDigestWorkflowType, tenantId: null, workflowId: notificationDigestWorkflowId(day), input: { day } });
  return run.created ? 1 : 0;
}
