-- Domain events and in-app notifications (issue 14; docs/ARCHITECTURE.md, Domain events and notifications).
--
-- A module announces what happened with publishEvent(tx, ...) (src/platform/events.ts): one row
-- here, written in the transaction of the change, plus pg_notify('cbp_domain_events') which
-- PostgreSQL delivers at commit to every API copy listening. The consumer claims pending
-- events with FOR UPDATE SKIP LOCKED (several copies share the work), runs each registered
-- handler once per event (a row in domain_event_deliveries, written in the handler's
-- transaction: a crash before commit repeats the handler, whose effects are idempotent), and
-- backs a failing event off (next_attempt_at).

CREATE TABLE domain_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Delivery order (oldest first).
  seq bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  type text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT now(),
  -- Set once every handler has its delivery row.
  delivered_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text
);
CREATE INDEX domain_events_pending_idx ON domain_events (next_attempt_at, seq) WHERE delivered_at IS NULL;
CREATE INDEX domain_events_tenant_idx ON domain_events (tenant_id, occurred_at DESC);
SELECT enable_tenant_isolation('domain_events');

CREATE TABLE domain_event_deliveries (
  event_id uuid NOT NULL REFERENCES domain_events (id) ON DELETE CASCADE,
  handler text NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  delivered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, handler)
);
SELECT enable_tenant_isolation('domain_event_deliveries');

-- One row per (event, recipient): the unique key makes a repeated delivery a no-op. A row is
-- kept when at least one channel was on: in_app says whether the user sees it in the portal,
-- emailed whether a mail was queued in mail_outbox (in the same transaction).
CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  event_id uuid NOT NULL,
  type text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  title text NOT NULL,
  body text NOT NULL,
  link text NOT NULL,
  in_app boolean NOT NULL,
  emailed boolean NOT NULL,
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, user_id)
);
CREATE INDEX notifications_inbox_idx ON notifications (tenant_id, user_id, created_at DESC, id DESC) WHERE in_app;
CREATE INDEX notifications_unread_idx ON notifications (tenant_id, user_id) WHERE in_app AND read_at IS NULL;
SELECT enable_tenant_isolation('notifications');

-- A member's choices in one organization; no row = the defaults (contracts: defaultChannelsFor).
CREATE TABLE notification_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- {"inApp": bool, "email": bool}, keys absent = on
  channels jsonb NOT NULL DEFAULT '{}',
  -- {"<type>": {"inApp": bool, "email": bool}}, absent = the type's default
  types jsonb NOT NULL DEFAULT '{}',
  digest boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
SELECT enable_tenant_isolation('notification_settings');
