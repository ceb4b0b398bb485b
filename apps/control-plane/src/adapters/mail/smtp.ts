import { sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { queryRows, withPlatformScope, type AppDb } from '../../platform/db.js';

/** Attempts per message before it is marked failed. */
export const maxMailAttempts = 5;
const maxAttempts = maxMailAttempts;

function smtpTransport(smtpUrl: string) {
  const url = new URL(smtpUrl);
  return nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
    secure: url.protocol === 'smtps:',
    ignoreTLS: url.searchParams.get('tls') === 'off',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
  });
}

export interface SmtpSender {
  /** Sends one message; `messageId` becomes its Message-ID header (the same on every attempt, so receivers can drop repeats). */
  send(message: { to: string; subject: string; text: string; html?: string | null; headers?: Record<string, string>; messageId: string }): Promise<void>;
  close(): void;
}

/** One SMTP connection pool for the `mail.delivery` workflow (adapters/mail/mail.workflows.ts). */
export function createSmtpSender(smtpUrl: string, from: string): SmtpSender {
  const transport = smtpTransport(smtpUrl);
  return {
    async send({ to, subject, text, html, headers, messageId }) {
      await transport.sendMail({ from, to, subject, text, ...(html ? { html } : {}), ...(headers ? { headers } : {}), messageId });
    },
    close: () => transport.close(),
  };
}

export interface SmtpDelivery {
  /** Sends up to `batch` queued messages; returns how many were sent. */
  deliverQueued(batch?: number): Promise<{ sent: number; failed: number }>;
  close(): void;
}

/**
 * Delivers the outbox through SMTP (nodemailer). Each message is claimed with
 * FOR UPDATE SKIP LOCKED, so several API copies never send the same message twice; a failed
 * send is retried on later runs and marked failed after five attempts.
 */
export function createSmtpDelivery(db: AppDb, smtpUrl: string, from: string): SmtpDelivery {
  const transport = smtpTransport(smtpUrl);
  return {
    async deliverQueued(batch = 20) {
      let sent = 0;
      let failed = 0;
      for (let i = 0; i < batch; i++) {
        // The queue spans tenants: claimed in the platform scope (decision 003).
        const done = await withPlatformScope(db, async (tx) => {
          const [message] = await queryRows<{
            id: string;
            to_address: string;
            subject: string;
            body_text: string;
            body_html: string | null;
            headers: Record<string, string> | null;
            attempts: number;
          }>(
            tx,
            sql`SELECT id, to_address, subject, body_text, body_html, headers, attempts FROM mail_outbox
                WHERE status = 'queued' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          );
          if (!message) return null;
          try {
            await transport.sendMail({
              from,
              to: message.to_address,
              subject: message.subject,
              text: message.body_text,
              ...(message.body_html ? { html: message.body_html } : {}),
              ...(message.headers ? { headers: message.headers } : {}),
            });
            await tx.execute(sql`UPDATE mail_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ${message.id}`);
            return 'sent' as const;
          } catch (err) {
            const giveUp = message.attempts + 1 >= maxAttempts;
            await tx.execute(
              sql`UPDATE mail_outbox SET attempts = attempts + 1, last_error = ${String(err instanceof Error ? err.message : err).slice(0, 500)},
                  status = ${giveUp ? 'failed' : 'queued'} WHERE id = ${message.id}`,
            );
            return 'failed' as const;
          }
        });
        if (!done) break;
        if (done === 'sent') sent++;
        else {
          failed++;
          break; // the server is likely down: try again on the next run
        }
      }
      return { sent, failed };
    },
    close: () => transport.close(),
  };
}
