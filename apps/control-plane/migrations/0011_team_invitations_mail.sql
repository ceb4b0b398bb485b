-- Team management: invitations, and the outbox of the mail port.

ALTER TABLE tenant_memberships ADD COLUMN invited_by uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX tenant_memberships_tenant_idx ON tenant_memberships (tenant_id, created_at);

CREATE TABLE user_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email text NOT NULL,
  role text NOT NULL CHECK (role IN ('analyst', 'engineer', 'admin', 'owner')),
  message text,
  -- sha256 of the single-use token sent by mail; the token itself is never stored
  token_hash text NOT NULL UNIQUE,
  -- pending until accepted or revoked; "expired" is pending past expires_at (computed on read)
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'revoked')),
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  last_sent_at timestamptz NOT NULL DEFAULT now(),
  send_count integer NOT NULL DEFAULT 1,
  accepted_at timestamptz,
  accepted_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- At most one open invitation per address and tenant.
CREATE UNIQUE INDEX user_invitations_pending_email_idx ON user_invitations (tenant_id, lower(email)) WHERE status = 'pending';
CREATE INDEX user_invitations_tenant_idx ON user_invitations (tenant_id, created_at DESC);
SELECT enable_tenant_isolation('user_invitations');

-- Every message the mail port hands over, written in the transaction of the change that
-- caused it (a transactional outbox). Without SMTP_URL messages stay here, "captured", and
-- platform staff read them in the portal (they hold invitation links: never tenant admins,
-- who could accept an owner invitation); with SMTP_URL a job delivers them and marks them sent.
CREATE TABLE mail_outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
  to_address text NOT NULL,
  subject text NOT NULL,
  body_text text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL CHECK (status IN ('captured', 'queued', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX mail_outbox_tenant_idx ON mail_outbox (tenant_id, created_at DESC);
CREATE INDEX mail_outbox_queued_idx ON mail_outbox (created_at) WHERE status = 'queued';
SELECT enable_tenant_isolation('mail_outbox');
