-- Row-level security fails closed, and the audit trail outlives its tenant.
--
-- 1. Tenant policies: until now a transaction without `app.tenant_id` saw (and could write)
--    every tenant's rows. Now it sees none and cannot insert. Work that legitimately spans
--    tenants (background jobs, staff views, authentication, webhooks, seeding, migrations)
--    says so: `app.scope = 'platform'` for its transaction (`withPlatformScope()` in
--    src/platform/db.ts). `scopeToTenant()` clears that setting, so a transaction that finds
--    its tenant under the platform scope narrows to it. See docs/decisions/003.
-- 2. The audit trail and its support tables no longer cascade from `tenants`: deleting a
--    tenant that has a trail is refused (for the owner too); tenant deletion becomes a
--    workflow that archives the trail first. The API's role also loses DELETE on `tenants`
--    (appRoleGrants in src/platform/db.ts), and the append-only trigger no longer lets a
--    cascade through.

CREATE OR REPLACE FUNCTION enable_tenant_isolation(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  scoped constant text := $q$(current_setting('app.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$q$;
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING %s WITH CHECK %s', target, scoped, scoped);
END
$$;

-- Every existing tenant policy (hand-written in 0001/0003/0004, from the helper since 0006,
-- and the monthly usage partitions) is replaced by the fail-closed one. The FORCE setting of
-- each table stays as it was (audit_logs is NO FORCE, see 0010).
DO $$
DECLARE
  p record;
  scoped constant text := $q$(current_setting('app.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$q$;
BEGIN
  FOR p IN SELECT schemaname, tablename FROM pg_policies WHERE policyname = 'tenant_isolation' LOOP
    EXECUTE format('DROP POLICY tenant_isolation ON %I.%I', p.schemaname, p.tablename);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I.%I USING %s WITH CHECK %s', p.schemaname, p.tablename, scoped, scoped);
  END LOOP;
END
$$;

-- The audit trail's foreign keys to tenants: ON DELETE RESTRICT instead of CASCADE.
-- Added NOT VALID and validated separately, so a large trail is not locked while it is checked.
DO $$
DECLARE
  fk record;
BEGIN
  FOR fk IN
    SELECT c.conname, c.conrelid::regclass AS tbl
    FROM pg_constraint c
    WHERE c.contype = 'f' AND c.confrelid = 'tenants'::regclass
      AND c.conrelid IN ('audit_logs'::regclass, 'audit_log_anchors'::regclass, 'audit_log_counts'::regclass,
                         'audit_log_actor_counts'::regclass, 'audit_search.audit_log_vocabulary'::regclass)
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE RESTRICT NOT VALID', fk.tbl, fk.conname);
    EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', fk.tbl, fk.conname);
  END LOOP;
END
$$;

-- Append-only: a DELETE now passes only inside purge_expired_audit_logs() (no cascade path).
CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('cbp.audit_purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
