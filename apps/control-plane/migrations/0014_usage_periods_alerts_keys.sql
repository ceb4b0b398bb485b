-- Usage: frozen period summaries, threshold alerts (pending notification events), API keys.

-- Written when a period closes; never changed afterwards.
CREATE TABLE usage_summaries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric_type text NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  total_quantity bigint NOT NULL,
  included_quantity bigint NOT NULL,
  overage_quantity bigint NOT NULL,
  overage_amount bigint NOT NULL,
  currency text NOT NULL,
  event_count bigint NOT NULL,
  closed_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, metric_type, period_start)
);
SELECT enable_tenant_isolation('usage_summaries');

-- A threshold crossed in a period, once: the pending notification event for the tenant's
-- admins and owner (delivered by the notifications capability when it exists).
CREATE TABLE usage_alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric_type text NOT NULL,
  threshold text NOT NULL CHECK (threshold IN ('soft_limit', 'hard_limit', 'projected_overage')),
  severity text NOT NULL CHECK (severity IN ('warning', 'critical')),
  period_start timestamptz NOT NULL,
  current_usage bigint NOT NULL,
  limit_value bigint,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, metric_type, period_start, threshold)
);
SELECT enable_tenant_isolation('usage_alerts');

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL,
  prefix text NOT NULL,
  -- sha256 of the secret; the secret is shown once at creation
  key_hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL DEFAULT ARRAY['usage:write'],
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at DESC);
SELECT enable_tenant_isolation('api_keys');
