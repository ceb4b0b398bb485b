-- Stripe webhooks are stored, acknowledged and applied later by a workflow (issue 13).
--
-- POST /webhooks/stripe verifies the signature, inserts the event here (the primary key is
-- Stripe's event id, so a redelivery inserts nothing) and, in the same transaction, starts the
-- `billing.stripe-event` workflow `stripe.event:<event id>`; it answers 200 without calling the
-- gateway. The workflow reads the payload from here and applies it (webhook_events still claims
-- each event id in the transaction of its change). Spans tenants like webhook_events: no
-- tenant_id, read in the platform scope or by the workflow's step.

CREATE TABLE stripe_event_inbox (
  id text PRIMARY KEY,
  type text NOT NULL,
  -- The verified event as CBP's GatewayEvent (dates as ISO 8601 strings).
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stripe_event_inbox_received_idx ON stripe_event_inbox (received_at);
