-- Audit search and export, revised after measuring at 1M entries (docs/benchmarks.md):
-- 1. The trigram index without the tenant column: a tenant's own posting list made every
--    search read it whole (about 35% of the time of a rare word). The tenant is checked on
--    the (few) rows a rare word finds.
-- 2. Export pages by `seq` (exact, unique per tenant, indexed) instead of (created_at, id):
--    a millisecond cursor skipped entries written in the same transaction, and the OR of the
--    old cursor condition could not be an index range under RLS, so every batch rescanned
--    from the newest entry.

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX audit_logs_text_idx ON audit_logs
      USING gin (audit_search_text(action, actor_email, target_name, target_id) gin_trgm_ops);
    DROP INDEX IF EXISTS audit_logs_search_idx;
  END IF;
END
$$;

DROP FUNCTION audit_log_search(text, text, uuid, text, text, timestamptz, timestamptz, timestamptz, uuid, integer, integer);

-- A page of text matches (newest first), or with p_before_seq a keyset batch for exports
-- (entries before that seq, by seq descending). Scoped to the transaction's tenant.
CREATE FUNCTION audit_log_search(
  p_pattern text, p_action text, p_actor uuid, p_target_type text, p_target_id text,
  p_from timestamptz, p_to timestamptz, p_before_seq bigint, p_limit integer, p_offset integer
) RETURNS SETOF audit_logs
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  filters text;
  newest text;
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
    || CASE WHEN p_before_seq IS NULL THEN '' ELSE ' AND seq < $9' END;
  newest := CASE WHEN p_before_seq IS NULL THEN 'created_at DESC, id DESC' ELSE 'seq DESC' END;
  -- 1. A common word: the page is usually within the newest 2,000 entries matching the other
  --    filters, read newest-first from an index.
  EXECUTE 'SELECT array(SELECT r FROM (SELECT * FROM audit_logs' || filters
    || ' ORDER BY ' || newest || ' LIMIT 2000) r'
    || ' WHERE audit_search_text(r.action, r.actor_email, r.target_name, r.target_id) ILIKE $2'
    || ' ORDER BY ' || newest || ' LIMIT $10 OFFSET $11)'
    INTO found
    USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
          p_before_seq, p_limit, coalesce(p_offset, 0);
  IF cardinality(found) >= p_limit THEN
    RETURN QUERY SELECT * FROM unnest(found);
    RETURN;
  END IF;
  -- 2. A rarer word: every match through the trigram index, then sorted (sorting on an
  --    expression keeps the planner from walking a time index hoping to meet matches soon).
  RETURN QUERY EXECUTE 'SELECT * FROM audit_logs' || filters
    || ' AND audit_search_text(action, actor_email, target_name, target_id) ILIKE $2'
    || ' ORDER BY ' || CASE WHEN p_before_seq IS NULL THEN 'created_at + interval ''0 seconds'' DESC, id DESC' ELSE 'seq + 0 DESC' END
    || ' LIMIT $10 OFFSET $11'
    USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
          p_before_seq, p_limit, coalesce(p_offset, 0);
END
$$;
