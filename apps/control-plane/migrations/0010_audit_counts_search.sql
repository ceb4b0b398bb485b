-- The audit viewer at millions of entries per tenant.
--
-- 1. Counts: a rollup of entries per tenant, UTC day and action, kept by statement-level
--    triggers in the writing transaction. A count without actor/target/text filters sums
--    rollup rows (plus the two partial days at the edges of a date range, counted from the
--    index) instead of scanning every entry.
-- 2. Free-text search: a trigram index on the searched fields (pg_trgm with btree_gin, so the
--    tenant is part of the index). Where the extensions are unavailable the same query still
--    answers, without the index.

CREATE TABLE audit_log_counts (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day date NOT NULL,
  action text NOT NULL,
  n bigint NOT NULL CHECK (n >= 0),
  PRIMARY KEY (tenant_id, action, day)
);
CREATE INDEX audit_log_counts_day_idx ON audit_log_counts (tenant_id, day);
SELECT enable_tenant_isolation('audit_log_counts');

-- The same per actor (a member's entries can run to tens of thousands).
CREATE TABLE audit_log_actor_counts (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  actor_id uuid NOT NULL,
  day date NOT NULL,
  n bigint NOT NULL CHECK (n >= 0),
  PRIMARY KEY (tenant_id, actor_id, day)
);
SELECT enable_tenant_isolation('audit_log_actor_counts');

INSERT INTO audit_log_counts (tenant_id, day, action, n)
  SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, action, count(*)
  FROM audit_logs WHERE tenant_id IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO audit_log_actor_counts (tenant_id, actor_id, day, n)
  SELECT tenant_id, actor_id, (created_at AT TIME ZONE 'UTC')::date, count(*)
  FROM audit_logs WHERE tenant_id IS NOT NULL AND actor_id IS NOT NULL GROUP BY 1, 2, 3;

CREATE FUNCTION audit_log_counts_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_log_counts AS c (tenant_id, day, action, n)
    SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, action, count(*)
    FROM added WHERE tenant_id IS NOT NULL GROUP BY 1, 2, 3
    ON CONFLICT (tenant_id, action, day) DO UPDATE SET n = c.n + excluded.n;
  INSERT INTO audit_log_actor_counts AS c (tenant_id, actor_id, day, n)
    SELECT tenant_id, actor_id, (created_at AT TIME ZONE 'UTC')::date, count(*)
    FROM added WHERE tenant_id IS NOT NULL AND actor_id IS NOT NULL GROUP BY 1, 2, 3
    ON CONFLICT (tenant_id, actor_id, day) DO UPDATE SET n = c.n + excluded.n;
  RETURN NULL;
END
$$;
CREATE TRIGGER audit_log_counts_added AFTER INSERT ON audit_logs
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audit_log_counts_added();

-- Purges and tenant deletion: decrement only (a deleted tenant's rollup rows are gone already).
CREATE FUNCTION audit_log_counts_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE audit_log_counts c SET n = c.n - r.n
    FROM (SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date AS day, action, count(*) AS n
          FROM removed WHERE tenant_id IS NOT NULL GROUP BY 1, 2, 3) r
    WHERE c.tenant_id = r.tenant_id AND c.action = r.action AND c.day = r.day;
  UPDATE audit_log_actor_counts c SET n = c.n - r.n
    FROM (SELECT tenant_id, actor_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
          FROM removed WHERE tenant_id IS NOT NULL AND actor_id IS NOT NULL GROUP BY 1, 2, 3) r
    WHERE c.tenant_id = r.tenant_id AND c.actor_id = r.actor_id AND c.day = r.day;
  RETURN NULL;
END
$$;
CREATE TRIGGER audit_log_counts_removed AFTER DELETE ON audit_logs
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION audit_log_counts_removed();

-- What the viewer's free text matches: action, actor email, target name and target id.
CREATE FUNCTION audit_search_text(action text, actor_email text, target_name text, target_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT action || ' ' || coalesce(actor_email, '') || ' ' || coalesce(target_name, '') || ' ' || coalesce(target_id, '')
$$;

DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  CREATE EXTENSION IF NOT EXISTS btree_gin;
  CREATE INDEX audit_logs_search_idx ON audit_logs
    USING gin (tenant_id, audit_search_text(action, actor_email, target_name, target_id) gin_trgm_ops);
EXCEPTION WHEN undefined_file OR undefined_object OR feature_not_supported OR insufficient_privilege THEN
  RAISE NOTICE 'pg_trgm/btree_gin unavailable (%): audit text search runs without an index', SQLERRM;
END
$$;

-- Text search under row-level security: LIKE is not a leakproof operator, so for a role that
-- RLS applies to, PostgreSQL evaluates it only after the policy and never through an index
-- (every search would scan the tenant's whole trail). The search therefore runs in this
-- SECURITY DEFINER function, as the table owner, which RLS does not apply to once FORCE is
-- off for audit_logs; the function scopes every query to the tenant of the transaction
-- (`app.tenant_id`, the same setting the policies use) and refuses to run without one.
-- The API's role in production is never the owner, so the policy still applies to all its
-- other queries on audit_logs (see docs/ARCHITECTURE.md, "Audit trail").
ALTER TABLE audit_logs NO FORCE ROW LEVEL SECURITY;

CREATE FUNCTION audit_log_search(
  p_pattern text, p_action text, p_actor uuid, p_target_type text, p_target_id text,
  p_from timestamptz, p_to timestamptz,
  p_before_at timestamptz, p_before_id uuid, p_limit integer, p_offset integer
) RETURNS SETOF audit_logs
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  filters text;
  found audit_logs[];
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'audit_log_search needs a tenant scope (app.tenant_id)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  filters := ' WHERE tenant_id = $1'
    || CASE WHEN p_action IS NULL THEN '' ELSE ' AND action = $3' END
    || CASE WHEN p_actor IS NULL THEN '' ELSE ' AND actor_id = $4' END
    || CASE WHEN p_target_type IS NULL THEN '' ELSE ' AND target_type = $5' END
    || CASE WHEN p_target_id IS NULL THEN '' ELSE ' AND target_id = $6' END
    || CASE WHEN p_from IS NULL THEN '' ELSE ' AND created_at >= $7' END
    || CASE WHEN p_to IS NULL THEN '' ELSE ' AND created_at <= $8' END
    || CASE WHEN p_before_at IS NULL THEN '' ELSE ' AND (created_at, id) < ($9, $10)' END;
  -- 1. A common word: the page is usually within the newest 5,000 matching the other
  --    filters, read newest-first from the index.
  EXECUTE 'SELECT array(SELECT r FROM (SELECT * FROM audit_logs' || filters
    || ' ORDER BY created_at DESC, id DESC LIMIT 5000) r'
    || ' WHERE audit_search_text(r.action, r.actor_email, r.target_name, r.target_id) ILIKE $2'
    || ' ORDER BY r.created_at DESC, r.id DESC LIMIT $11 OFFSET $12)'
    INTO found
    USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
          p_before_at, p_before_id, p_limit, coalesce(p_offset, 0);
  IF cardinality(found) >= p_limit THEN
    RETURN QUERY SELECT * FROM unnest(found);
    RETURN;
  END IF;
  -- 2. A rarer word: every match through the trigram index, then sorted (the ORDER BY on an
  --    expression keeps the planner from walking the time index hoping to meet matches soon).
  RETURN QUERY EXECUTE 'SELECT * FROM audit_logs' || filters
    || ' AND audit_search_text(action, actor_email, target_name, target_id) ILIKE $2'
    || ' ORDER BY created_at + interval ''0 seconds'' DESC, id DESC LIMIT $11 OFFSET $12'
    USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
          p_before_at, p_before_id, p_limit, coalesce(p_offset, 0);
END
$$;

-- Counts matches up to p_cap (+1, so the caller knows there are more): a word found in a
-- large share of the trail would otherwise mean reading most of it to count.
CREATE FUNCTION audit_log_search_count(
  p_pattern text, p_action text, p_actor uuid, p_target_type text, p_target_id text,
  p_from timestamptz, p_to timestamptz, p_cap integer
) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  n bigint;
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'audit_log_search_count needs a tenant scope (app.tenant_id)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE
    'SELECT count(*) FROM (SELECT 1 FROM audit_logs WHERE tenant_id = $1
       AND audit_search_text(action, actor_email, target_name, target_id) ILIKE $2'
    || CASE WHEN p_action IS NULL THEN '' ELSE ' AND action = $3' END
    || CASE WHEN p_actor IS NULL THEN '' ELSE ' AND actor_id = $4' END
    || CASE WHEN p_target_type IS NULL THEN '' ELSE ' AND target_type = $5' END
    || CASE WHEN p_target_id IS NULL THEN '' ELSE ' AND target_id = $6' END
    || CASE WHEN p_from IS NULL THEN '' ELSE ' AND created_at >= $7' END
    || CASE WHEN p_to IS NULL THEN '' ELSE ' AND created_at <= $8' END
    || ' LIMIT $9 + 1) matches'
    INTO n
    USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to, p_cap;
  RETURN n;
END
$$;
