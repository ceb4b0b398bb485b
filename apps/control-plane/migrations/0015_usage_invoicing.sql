-- Usage: a closed period's overage goes onto the gateway invoice; idempotency keys expire;
-- quotas count their period's events exactly (the daily rollups cannot split a period's first
-- and last day, which begin and end at the subscription's anchor time).

-- The invoice item a frozen summary's overage became (set once, by the period-close job or
-- the reset route right after the close; a summary with overage and no item is retried).
ALTER TABLE usage_summaries
  ADD COLUMN invoice_item_id text,
  ADD COLUMN invoiced_at timestamptz;
CREATE INDEX usage_summaries_unbilled_idx ON usage_summaries (tenant_id, period_start)
  WHERE overage_amount > 0 AND invoice_item_id IS NULL;

-- Keys are kept 36 days (35 days of late events plus the 5 minutes of clock skew, rounded up):
-- a retry after that is refused as too late anyway when it carries its `occurredAt`. BRIN
-- because keys arrive in time order and ingestion must stay cheap.
CREATE INDEX usage_event_keys_received_idx ON usage_event_keys USING brin (received_at);

ALTER TABLE usage_quotas ADD COLUMN current_events bigint NOT NULL DEFAULT 0;
UPDATE usage_quotas q SET current_events = (
  SELECT count(*) FROM usage_events e
  WHERE e.tenant_id = q.tenant_id AND e.metric_type = q.metric_type
    AND e.occurred_at >= q.period_start AND e.occurred_at < q.period_end
);
