import type { ScopedTx } from '../../platform/db.js';
import { mailOutbox } from '../../platform/schema.js';

export interface MailMessage {
  /** The tenant the message is about (null for platform mail). */
  tenantId: string | null;
  to: string;
  subject: string;
  text: string;
  /** HTML alternative of `text` (notification mail: docs/decisions/009-email-templates.md). */
  html?: string;
  /** Extra headers, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058). */
  headers?: Record<string, string>;
  /** What the message is for, e.g. `invitation`, `ownership_transferred`. */
  kind: string;
}

/**
 * The mail port. Messages are written to the outbox inside the caller's transaction, so a
 * message exists exactly when the change that caused it commits. Without SMTP they stay there
 * ("captured", readable by platform staff in the portal); with SMTP a delivery job sends them.
 */
export interface Mailer {
  mode: 'outbox' | 'smtp';
  send(tx: ScopedTx, message: MailMessage): Promise<void>;
}

export function createMailer(mode: Mailer['mode']): Mailer {
  return {
    mode,
    async send(tx, message) {
      await tx.insert(mailOutbox).values({
        tenantId: message.tenantId,
        toAddress: message.to,
        subject: message.subject,
        bodyText: message.text,
        bodyHtml: message.html ?? null,
        headers: message.headers ?? {},
        kind: message.kind,
        status: mode === 'smtp' ? 'queued' : 'captured',
        attempts: 0,
      });
    },
  };
}
