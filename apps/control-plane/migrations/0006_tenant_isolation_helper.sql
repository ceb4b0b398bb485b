-- One definition of the tenant row-level security policy (the one 0001, 0003 and 0004 spell
-- out by hand): new tenant-owned tables call SELECT enable_tenant_isolation('table_name').
CREATE FUNCTION enable_tenant_isolation(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  scoped constant text := $q$(nullif(current_setting('app.tenant_id', true), '') IS NULL
    OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$q$;
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING %s WITH CHECK %s', target, scoped, scoped);
END
$$;
