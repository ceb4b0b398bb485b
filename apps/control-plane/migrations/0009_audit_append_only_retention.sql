-- Audit logs are append-only, and old entries leave only through the retention purge.
--
-- Two barriers:
-- 1. Privileges (production): migrations run as the owner role (DATABASE_MIGRATION_URL) and
--    the API connects as a plain role that gets SELECT and INSERT on audit_logs, never UPDATE,
--    DELETE or TRUNCATE (granted by migrate(); see docs/ARCHITECTURE.md).
-- 2. A trigger (every setup, including one-role and embedded ones): any UPDATE is refused, and
--    a DELETE is refused unless it comes from a tenant's deletion (a foreign-key cascade) or
--    from purge_expired_audit_logs().
-- Tampering by someone who holds the owner role is what the hash chain (0007) detects.

-- How long each plan keeps its audit trail.
ALTER TABLE plans ADD COLUMN audit_retention_days integer CHECK (audit_retention_days > 0);
UPDATE plans SET audit_retention_days = CASE tier
  WHEN 'free' THEN 7 WHEN 'starter' THEN 30 WHEN 'pro' THEN 365 ELSE 2557 END;
ALTER TABLE plans ALTER COLUMN audit_retention_days SET NOT NULL;

-- Where a tenant's chain starts after a purge: the hash of the last purged entry, so the
-- first remaining entry still links to something recorded (and /verify can check it).
CREATE TABLE audit_log_anchors (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  through_seq bigint NOT NULL,
  hash text NOT NULL,
  purged_total bigint NOT NULL DEFAULT 0,
  purged_at timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_isolation('audit_log_anchors');

CREATE FUNCTION audit_logs_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND (pg_trigger_depth() > 1 OR current_setting('cbp.audit_purge', true) = 'on') THEN
    -- pg_trigger_depth() > 1: the delete cascades from a deleted tenant (a foreign-key action).
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();

CREATE FUNCTION audit_logs_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only: TRUNCATE is not allowed' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_no_truncate();

-- Retention: removes, for one tenant, at most `p_batch` of the oldest entries that its plan
-- no longer keeps (a prefix of the chain, in seq order, up to the oldest entry still inside
-- retention), moves the tenant's anchor to the last removed entry, and records the purge as
-- an audit entry of its own. The cutoff comes from the plan, never from the caller.
-- SECURITY DEFINER: runs with the owner's rights; the only way the API role deletes entries.
CREATE FUNCTION purge_expired_audit_logs(p_tenant uuid, p_batch integer DEFAULT 50000)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  retention integer;
  cutoff timestamptz;
  boundary bigint;
  last_seq bigint;
  last_hash text;
  removed bigint;
BEGIN
  SELECT p.audit_retention_days INTO retention
    FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = p_tenant;
  IF retention IS NULL THEN
    RETURN 0;
  END IF;
  cutoff := now() - make_interval(days => retention);
  -- The chain trigger's per-tenant lock: no entry is added while the start of the chain moves.
  PERFORM pg_advisory_xact_lock(hashtext('audit:' || p_tenant::text));
  IF NOT EXISTS (SELECT 1 FROM audit_logs WHERE tenant_id = p_tenant AND created_at < cutoff) THEN
    RETURN 0;
  END IF;
  SELECT seq INTO boundary FROM audit_logs
    WHERE tenant_id = p_tenant AND created_at >= cutoff ORDER BY created_at, id LIMIT 1;
  PERFORM set_config('cbp.audit_purge', 'on', true);
  WITH doomed AS (
    SELECT id FROM audit_logs
    WHERE tenant_id = p_tenant AND (boundary IS NULL OR seq < boundary)
    ORDER BY seq LIMIT p_batch
  ), gone AS (
    DELETE FROM audit_logs a USING doomed d WHERE a.id = d.id RETURNING a.seq, a.hash
  ), summary AS (
    SELECT count(*) AS n FROM gone
  )
  SELECT s.n, g.seq, g.hash INTO removed, last_seq, last_hash
    FROM summary s LEFT JOIN LATERAL (SELECT seq, hash FROM gone ORDER BY seq DESC LIMIT 1) g ON true;
  PERFORM set_config('cbp.audit_purge', 'off', true);
  IF removed = 0 THEN
    RETURN 0;
  END IF;
  INSERT INTO audit_log_anchors AS a (tenant_id, through_seq, hash, purged_total, purged_at)
    VALUES (p_tenant, last_seq, last_hash, removed, now())
    ON CONFLICT (tenant_id) DO UPDATE
      SET through_seq = excluded.through_seq, hash = excluded.hash,
          purged_total = a.purged_total + excluded.purged_total, purged_at = excluded.purged_at;
  INSERT INTO audit_logs (tenant_id, actor_type, action, target_type, target_id, target_name, metadata)
    VALUES (p_tenant, 'system', 'audit_log.purged', 'tenant', p_tenant::text, NULL,
            jsonb_build_object('removed', removed, 'retentionDays', retention, 'olderThan', cutoff, 'throughSeq', last_seq));
  RETURN removed;
END
$$;
