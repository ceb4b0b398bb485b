-- Billing: gateway customers, the mirror of subscriptions and invoices (what the API serves,
-- kept in step by gateway responses and webhooks), processed webhook events, and the state
-- of the local payment gateway (the embedded default, Stripe's object model in JSON).

CREATE TABLE billing_customers (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  gateway text NOT NULL CHECK (gateway IN ('stripe', 'local')),
  customer_id text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE subscriptions
  ADD COLUMN gateway_subscription_id text UNIQUE,
  -- time of the newest gateway state applied; older webhook deliveries are ignored
  ADD COLUMN gateway_synced_at timestamptz;
CREATE UNIQUE INDEX subscriptions_one_per_tenant ON subscriptions (tenant_id);

CREATE TABLE invoices (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  gateway_invoice_id text NOT NULL UNIQUE,
  number text NOT NULL,
  status text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
  currency text NOT NULL,
  subtotal integer NOT NULL,
  amount_due integer NOT NULL,
  amount_paid integer NOT NULL DEFAULT 0,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  due_date timestamptz,
  paid_at timestamptz,
  gateway_synced_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, number)
);
CREATE INDEX invoices_tenant_created_idx ON invoices (tenant_id, created_at DESC, id DESC);
CREATE INDEX invoices_tenant_status_idx ON invoices (tenant_id, status, created_at DESC);

CREATE TABLE invoice_lines (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  position integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('subscription', 'usage', 'proration', 'adjustment')),
  description text NOT NULL,
  metric_type text,
  quantity bigint NOT NULL DEFAULT 1,
  unit_amount integer,
  amount integer NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL
);
CREATE INDEX invoice_lines_invoice_idx ON invoice_lines (invoice_id, position);

-- Each gateway event id is applied once, whatever the number of deliveries.
CREATE TABLE webhook_events (
  id text PRIMARY KEY,
  source text NOT NULL,
  type text NOT NULL,
  outcome text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE local_gateway_objects (
  id text PRIMARY KEY,
  object text NOT NULL,
  customer_id text,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX local_gateway_objects_customer_idx ON local_gateway_objects (customer_id, object);

ALTER TABLE billing_customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_customers
  USING (nullif(current_setting('app.tenant_id', true), '') IS NULL
         OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (nullif(current_setting('app.tenant_id', true), '') IS NULL
         OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoices
  USING (nullif(current_setting('app.tenant_id', true), '') IS NULL
         OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (nullif(current_setting('app.tenant_id', true), '') IS NULL
         OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoice_lines
  USING (nullif(current_setting('app.tenant_id', true), '') IS NULL
         OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (nullif(current_setting('app.tenant_id', true), '') IS NULL
         OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
