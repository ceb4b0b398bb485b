-- The email channel of notifications (issue 14; docs/ARCHITECTURE.md, Domain events and
-- notifications; docs/decisions/009-email-templates.md).
--
-- Mail carries an HTML alternative next to its plain text, and extra headers: notification mail
-- has List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). The SMTP delivery passes both on.
ALTER TABLE mail_outbox ADD COLUMN body_html text;
ALTER TABLE mail_outbox ADD COLUMN headers jsonb NOT NULL DEFAULT '{}';

-- A notification whose email was held back for the recipient's daily digest (non-critical
-- types, digest on): no instant mail, listed in the next digest while unread.
ALTER TABLE notifications ADD COLUMN digest boolean NOT NULL DEFAULT false;

-- One digest per member, organization and UTC day: inserted in the transaction that queues the
-- digest mail, so a repeated or concurrent run of the day's digest workflow sends nothing twice.
CREATE TABLE notification_digests (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  day text NOT NULL CHECK (day ~ '^\d{4}-\d{2}-\d{2}$'),
  notifications integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, day)
);
SELECT enable_tenant_isolation('notification_digests');
-- The digest finds the day's unread rows per tenant.
CREATE INDEX notifications_day_idx ON notifications (tenant_id, created_at) WHERE read_at IS NULL AND (in_app OR digest);
