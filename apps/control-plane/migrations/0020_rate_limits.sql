-- Rate-limit counters shared by every API copy on this database (src/platform/rate-limit.ts).
-- One row per budget key (`u:<user>:read`, `u:<user>:write`, `k:<api key>:events`) and fixed
-- window; copies add their locally counted hits with one upsert every ~100 ms and read back
-- the total. UNLOGGED: counters are throwaway (a crash empties the table, which only resets
-- the current second's budgets) and skip the WAL. Not tenant data: no tenant_id, no RLS.
CREATE UNLOGGED TABLE rate_limit_counters (
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
