-- GDPR export and organization deletion (issue 15, slice 3; docs/ARCHITECTURE.md, Organization).
--
-- An export is a zip written by the `organization.export` workflow under
-- CBP_DATA_DIR/exports/<tenant>/<export id>.zip (file_key: the path below CBP_DATA_DIR); the row
-- says whether it is ready, its size and when it expires (7 days, then `organization.export-cleanup`
-- removes the file and marks the row expired).
--
-- Deletion: the owner schedules it (tenants.status = 'pending_deletion' with
-- deletion_scheduled_at after a grace period); members keep working meanwhile (the guard refuses
-- only 'suspended'). The `organization.deletion` workflow then removes the tenant's data with
-- delete_tenant_data(), which runs as the owner of the tables: the API's role still cannot delete
-- audit rows or tenants itself, and the function refuses a tenant whose deletion is not due.

CREATE TABLE organization_exports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  workflow_id text NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ready', 'failed', 'expired')),
  size_bytes bigint CHECK (size_bytes >= 0),
  file_key text CHECK (file_key ~ '^exports/[0-9a-f-]{36}/[0-9a-f-]{36}\.zip$'),
  requested_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  expires_at timestamptz NOT NULL,
  UNIQUE (tenant_id, workflow_id),
  CHECK ((status = 'ready') = (file_key IS NOT NULL AND size_bytes IS NOT NULL))
);
CREATE INDEX organization_exports_tenant_created_idx ON organization_exports (tenant_id, created_at DESC);
CREATE INDEX organization_exports_expiry_idx ON organization_exports (expires_at) WHERE status = 'ready';
SELECT enable_tenant_isolation('organization_exports');

ALTER TABLE tenants
  ADD COLUMN deletion_scheduled_at timestamptz,
  ADD COLUMN deletion_requested_by uuid,
  ADD CONSTRAINT tenants_deletion_schedule_check CHECK ((status = 'pending_deletion') = (deletion_scheduled_at IS NOT NULL));

-- Removes every row of a tenant whose deletion is due: the audit trail and its counters first
-- (their foreign keys RESTRICT, and the append-only trigger lets a delete pass only with
-- cbp.audit_purge), then the tenant (cascading to its tables), then rows of tables without a
-- foreign key to tenants, and the tenant's workflow runs except the one calling (p_keep_run).
-- Idempotent: a tenant already gone answers 0.
CREATE FUNCTION delete_tenant_data(p_tenant uuid, p_keep_run uuid)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  previous_scope constant text := coalesce(current_setting('app.scope', true), '');
  t record;
  n bigint;
  removed bigint := 0;
BEGIN
  PERFORM set_config('app.scope', 'platform', true);
  IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = p_tenant) THEN
    PERFORM set_config('app.scope', previous_scope, true);
    RETURN 0;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = p_tenant AND status = 'pending_deletion' AND deletion_scheduled_at <= now()) THEN
    RAISE EXCEPTION 'tenant % is not due for deletion', p_tenant USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('audit:' || p_tenant::text));
  PERFORM set_config('cbp.audit_purge', 'on', true);
  DELETE FROM audit_logs WHERE tenant_id = p_tenant;
  GET DIAGNOSTICS n = ROW_COUNT;
  removed := removed + n;
  PERFORM set_config('cbp.audit_purge', 'off', true);
  DELETE FROM audit_log_anchors WHERE tenant_id = p_tenant;
  DELETE FROM audit_log_counts WHERE tenant_id = p_tenant;
  DELETE FROM audit_log_actor_counts WHERE tenant_id = p_tenant;
  DELETE FROM audit_search.audit_log_vocabulary WHERE tenant_id = p_tenant;
  DELETE FROM workflow_runs WHERE tenant_id = p_tenant AND id IS DISTINCT FROM p_keep_run;
  DELETE FROM tenants WHERE id = p_tenant;
  FOR t IN
    SELECT format('%I.%I', n2.nspname, c.relname) AS tbl
    FROM pg_class c
    JOIN pg_namespace n2 ON n2.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE n2.nspname IN ('public', 'audit_search') AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relname NOT IN ('workflow_runs', 'workflow_steps')
    ORDER BY c.relname
  LOOP
    EXECUTE format('DELETE FROM %s WHERE tenant_id = $1', t.tbl) USING p_tenant;
    GET DIAGNOSTICS n = ROW_COUNT;
    removed := removed + n;
  END LOOP;
  PERFORM set_config('app.scope', previous_scope, true);
  RETURN removed;
END
$$;
