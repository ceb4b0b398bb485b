import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, withPlatformScope, type AppDb } from '../../platform/db.js';
import { defineWorkflow, type WorkflowEngine } from '../workflows/port.js';
import { maxMailAttempts, type SmtpSender } from './smtp.js';

// SMTP delivery as a workflow (issue 13), with SMTP_URL only: one run per queued message,
// `mail:<message id>`, in the message's tenant (a platform run for platform mail).
//   send            (remote) the message through SMTP; Message-ID derived from the message id, the
//                            same on every attempt (SMTP has no idempotency key: at least once)
//   record-delivery (local)  the outbox row marked sent (or failed after the last attempt)

export const mailDeliveryWorkflowType = 'mail.delivery';
export const mailDeliveryWorkflowId = (messageId: string) => `mail:${messageId}`;

const MailInput = z.object({ messageId: z.uuid() });

export function mailWorkflows({ db, sender }: { db: AppDb; sender: SmtpSender }) {
  const delivery = defineWorkflow({
    type: mailDeliveryWorkflowType,
    parseInput: (input) => MailInput.parse(input),
    retry: { maxAttempts: maxMailAttempts, initialIntervalMs: 2_000, backoffCoefficient: 3, maxIntervalMs: 300_000 },
    async run(ctx, { messageId }) {
      const sent = await ctx.remoteStep('send', async ({ attempt }) => {
        const [message] = await withPlatformScope(db, (tx) =>
          queryRows<{ to_address: string; subject: string; body_text: string; body_html: string | null; headers: Record<string, string> | null; status: string }>(
            tx,
            sql`SELECT to_address, subject, body_text, body_html, headers, status FROM mail_outbox WHERE id = ${messageId}`,
          ),
        );
        if (!message || message.status !== 'queued') return { sent: false, skipped: true, error: null, attempts: attempt };
        try {
          await sender.send({
            to: message.to_address,
            subject: message.subject,
            text: message.body_text,
            html: message.body_html,
            headers: message.headers ?? undefined,
            messageId: `<${messageId}@cbp.mail>`,
          });
          return { sent: true, skipped: false, error: null, attempts: attempt };
        } catch (err) {
          // The last attempt gives up: the message is marked failed (the run completes; the outbox shows why).
          if (attempt >= maxMailAttempts) return { sent: false, skipped: false, error: err instanceof Error ? err.message : String(err), attempts: attempt };
          throw err;
        }
      });
      if (sent.skipped) return { status: 'skipped' };
      await ctx.step('record-delivery', async ({ tx }) => {
        await tx.execute(
          sent.sent
            ? sql`UPDATE mail_outbox SET status = 'sent', sent_at = now(), attempts = attempts + ${sent.attempts}, last_error = NULL WHERE id = ${messageId}`
            : sql`UPDATE mail_outbox SET status = 'failed', attempts = attempts + ${sent.attempts}, last_error = ${(sent.error ?? '').slice(0, 500)} WHERE id = ${messageId}`,
        );
      });
      return { status: sent.sent ? 'sent' : 'failed' };
    },
  });
  return [delivery] as const;
}

/**
 * The mail trigger (every MAIL_DELIVERY_INTERVAL_MS with SMTP_URL): starts the delivery run of
 * each queued message that has none (anti-join on the unique workflow id).
 */
export async function startMailDeliveries(db: AppDb, engine: WorkflowEngine, { limit = 100 }: { limit?: number } = {}): Promise<number> {
  const queued = await withPlatformScope(db, (tx) =>
    queryRows<{ id: string; tenant_id: string | null }>(
      tx,
      sql`SELECT m.id, m.tenant_id FROM mail_outbox m
          WHERE m.status = 'queued'
            AND NOT EXISTS (SELECT 1 FROM workflow_runs r WHERE r.tenant_id IS NOT DISTINCT FROM m.tenant_id AND r.workflow_id = 'mail:' || m.id)
          ORDER BY m.created_at
          LIMIT ${limit}`,
    ),
  );
  let started = 0;
  for (const m of queued) {
    const run = await engine.start({ type: mailDeliveryWorkflowType, tenantId: m.tenant_id, workflowId: mailDeliveryWorkflowId(m.id), input: { messageId: m.id } });
    if (run.created) started++;
  }
  return started;
}
