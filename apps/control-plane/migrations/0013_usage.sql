-- Usage metering: raw events partitioned by month, per-day rollups kept on ingest, quotas.
-- Status, trends and analytics read the rollups and quotas only, never the raw events.

CREATE TABLE usage_events (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric_type text NOT NULL,
  quantity bigint NOT NULL CHECK (quantity > 0),
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  idempotency_key text NOT NULL,
  -- who reported it: a user (engineer+) or a tenant API key
  source_type text NOT NULL CHECK (source_type IN ('user', 'api_key')),
  source_id uuid
) PARTITION BY RANGE (occurred_at);
CREATE INDEX usage_events_tenant_time_idx ON usage_events (tenant_id, occurred_at);
-- Events outside every monthly partition (should not happen: ingestion accepts 35 days back).
CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;
SELECT enable_tenant_isolation('usage_events');
SELECT enable_tenant_isolation('usage_events_default');

-- Monthly partitions from `p_from` for `p_months` months (idempotent). SECURITY DEFINER: the
-- API's role may not create tables; the partition job calls this.
CREATE FUNCTION ensure_usage_partitions(p_from date, p_months integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  month date := date_trunc('month', p_from)::date;
  name text;
  created integer := 0;
BEGIN
  FOR i IN 1..p_months LOOP
    name := format('usage_events_%s', to_char(month, 'YYYYMM'));
    IF to_regclass(name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)',
        name, month, (month + interval '1 month')::date);
      PERFORM enable_tenant_isolation(name::regclass);
      created := created + 1;
    END IF;
    month := (month + interval '1 month')::date;
  END LOOP;
  RETURN created;
END
$$;
SELECT ensure_usage_partitions((date_trunc('month', now()) - interval '2 months')::date, 6);

-- The idempotency keys seen per tenant (a key twice is a duplicate, whatever its month).
CREATE TABLE usage_event_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  idempotency_key text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, idempotency_key)
);
SELECT enable_tenant_isolation('usage_event_keys');

-- Per tenant, metric and UTC day: what trends and periods are summed from.
CREATE TABLE usage_daily (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric_type text NOT NULL,
  day date NOT NULL,
  quantity bigint NOT NULL DEFAULT 0,
  event_count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, metric_type, day)
);
SELECT enable_tenant_isolation('usage_daily');

-- A tenant's quota per metric for its current period (from the plan's limits); the counter is
-- incremented atomically on ingest (no read-modify-write).
CREATE TABLE usage_quotas (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric_type text NOT NULL,
  included_quantity bigint NOT NULL,
  soft_limit bigint,
  hard_limit bigint,
  overage_price integer NOT NULL DEFAULT 0,
  overage_unit integer NOT NULL DEFAULT 1,
  currency text NOT NULL DEFAULT 'usd',
  reset_period text NOT NULL DEFAULT 'monthly',
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  current_usage bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, metric_type)
);
SELECT enable_tenant_isolation('usage_quotas');
