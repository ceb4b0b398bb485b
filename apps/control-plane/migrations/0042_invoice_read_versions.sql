-- A version of each tenant's invoices (issue 18): GET /invoices answers from the API's memory
-- while the tenant's invoices are unchanged, and asks PostgreSQL on every request whether they
-- are (one indexed row), so a change is seen by the very next read on every API copy.
--
-- 1. `tenant_read_versions`: per tenant and resource (only 'invoices' so far) a random token,
--    replaced in the transaction of every change to the resource's rows. Random rather than a
--    counter: a database restored from a backup cannot give an old number to new content.
-- 2. The replacement is a row trigger, once per transaction and tenant (a billing close
--    writing an invoice and its lines replaces it once). It locks the version row until commit,
--    so two transactions writing the same tenant's invoices at once wait for each other from
--    their first change; CBP writes one invoice per transaction. Not deferred to commit (as
--    auth_epoch is in 0026): a migration that changes invoice rows and then alters the table
--    in one transaction would be refused for its pending trigger events.
-- 3. SECURITY DEFINER, with the platform scope set for the upsert alone (the previous scope is
--    restored before it returns): the token is written whatever the transaction's scope, and
--    the API's role, which may not write the table (appRoleGrants), reads its tenant's row only.

CREATE TABLE tenant_read_versions (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  resource text NOT NULL,
  version uuid NOT NULL,
  PRIMARY KEY (tenant_id, resource)
);
SELECT enable_tenant_isolation('tenant_read_versions');

CREATE FUNCTION bump_tenant_read_version() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  changed uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END;
  done_key constant text := 'cbp.read_version_' || TG_ARGV[0] || '_' || replace(changed::text, '-', '');
  previous_scope text;
BEGIN
  IF current_setting(done_key, true) = 'on' THEN
    RETURN NULL;
  END IF;
  -- Rows deleted with their tenant (the cascade runs after the tenant row is gone): nothing to version.
  IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = changed) THEN
    RETURN NULL;
  END IF;
  previous_scope := current_setting('app.scope', true);
  PERFORM set_config('app.scope', 'platform', true);
  INSERT INTO tenant_read_versions AS v (tenant_id, resource, version)
    VALUES (changed, TG_ARGV[0], gen_random_uuid())
  ON CONFLICT (tenant_id, resource) DO UPDATE SET version = EXCLUDED.version;
  PERFORM set_config('app.scope', coalesce(previous_scope, ''), true);
  PERFORM set_config(done_key, 'on', true);
  RETURN NULL;
END
$$;

CREATE TRIGGER read_version_invoices
  AFTER INSERT OR UPDATE OR DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION bump_tenant_read_version('invoices');
CREATE TRIGGER read_version_invoice_lines
  AFTER INSERT OR UPDATE OR DELETE ON invoice_lines
  FOR EACH ROW EXECUTE FUNCTION bump_tenant_read_version('invoices');
