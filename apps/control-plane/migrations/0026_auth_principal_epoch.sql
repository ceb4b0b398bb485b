-- The read path in one round trip (issue 18): authentication's lookups in one statement, and a
-- version of everything they depend on, so API copies can cache them for seconds.
--
-- 1. `auth_epoch`: one counter, bumped in the transaction of any change that can take access
--    away or change who the caller is (membership added, removed, role or status changed;
--    tenant status; user status, platform role, identity; API key revoked). The bump is a
--    deferred constraint trigger: it runs at commit, once per transaction, so the counter row
--    is locked only for the last moment of the change (no lock ordering with the change's
--    own locks) and the new value becomes visible exactly when the change does.
--    Every API copy reads the counter at least once a second while it serves from its cache
--    and drops every entry read under an older value (src/platform/auth.ts).
-- 2. `auth_principal(user, subject, tenant)`: the user, their active membership and role in
--    the tenant (or their only tenant), the tenant's status and the counter, in one statement.
--    Memberships span tenants, so it reads in the platform scope (decision 003), which it
--    sets for itself only: the previous scope is restored before it returns (and an error
--    aborts the statement, which undoes the setting with it). A `SET app.scope` clause on the
--    function would be simpler but needs a superuser to create.
-- 3. `memberships_of(user)`: the tenants of GET /me in one statement, same scope.

CREATE TABLE auth_epoch (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  value bigint NOT NULL DEFAULT 0
);
INSERT INTO auth_epoch DEFAULT VALUES;

CREATE FUNCTION bump_auth_epoch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Once per transaction is enough: the value only has to differ from the one cached.
  IF current_setting('cbp.auth_epoch_bumped', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('cbp.auth_epoch_bumped', 'on', true);
  UPDATE auth_epoch SET value = value + 1 WHERE id = 1;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER auth_epoch_membership_change
  AFTER INSERT OR DELETE ON tenant_memberships DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();
CREATE CONSTRAINT TRIGGER auth_epoch_membership_update
  AFTER UPDATE ON tenant_memberships DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
  EXECUTE FUNCTION bump_auth_epoch();

CREATE CONSTRAINT TRIGGER auth_epoch_tenant_update
  AFTER UPDATE ON tenants DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION bump_auth_epoch();
CREATE CONSTRAINT TRIGGER auth_epoch_tenant_delete
  AFTER DELETE ON tenants DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();

CREATE CONSTRAINT TRIGGER auth_epoch_user_update
  AFTER UPDATE ON users DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.platform_role IS DISTINCT FROM NEW.platform_role
        OR OLD.external_subject IS DISTINCT FROM NEW.external_subject
        OR OLD.email IS DISTINCT FROM NEW.email OR OLD.name IS DISTINCT FROM NEW.name)
  EXECUTE FUNCTION bump_auth_epoch();
CREATE CONSTRAINT TRIGGER auth_epoch_user_delete
  AFTER DELETE ON users DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();

CREATE CONSTRAINT TRIGGER auth_epoch_api_key_update
  AFTER UPDATE ON api_keys DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.scopes IS DISTINCT FROM NEW.scopes
                     OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
  EXECUTE FUNCTION bump_auth_epoch();
CREATE CONSTRAINT TRIGGER auth_epoch_api_key_delete
  AFTER DELETE ON api_keys DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();

-- The caller behind a token: by user id (built-in issuer) or by external subject (Keycloak).
-- With p_tenant: that tenant (whether it exists, its status, the caller's active role in it).
-- Without: the caller's only active membership's tenant, if they have exactly one.
CREATE FUNCTION auth_principal(p_user uuid, p_subject text, p_tenant uuid)
RETURNS TABLE (
  id uuid, email text, name text, external_subject text, platform_role text, status text, created_at timestamptz,
  tenant_id uuid, tenant_status text, role text, active_memberships integer, epoch bigint
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  previous_scope constant text := coalesce(current_setting('app.scope', true), '');
BEGIN
  PERFORM set_config('app.scope', 'platform', true);
  RETURN QUERY
  SELECT u.id, u.email, u.name, u.external_subject, u.platform_role, u.status, u.created_at,
         t.id, t.status, m.role, mc.n, (SELECT e.value FROM auth_epoch e WHERE e.id = 1)
  FROM users u
  CROSS JOIN LATERAL (
    SELECT count(*)::integer AS n, (array_agg(am.tenant_id))[1] AS only_tenant
    FROM tenant_memberships am
    WHERE am.user_id = u.id AND am.status = 'active'
  ) mc
  LEFT JOIN tenants t ON t.id = coalesce(p_tenant, CASE WHEN mc.n = 1 THEN mc.only_tenant END)
  LEFT JOIN tenant_memberships m ON m.tenant_id = t.id AND m.user_id = u.id AND m.status = 'active'
  WHERE u.id = coalesce(p_user, (SELECT s.id FROM users s WHERE s.external_subject = p_subject));
  PERFORM set_config('app.scope', previous_scope, true);
END
$$;

-- The tenants of GET /me: active memberships, by tenant name (same scope handling).
CREATE FUNCTION memberships_of(p_user uuid)
RETURNS TABLE (id uuid, name text, slug text, role text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  previous_scope constant text := coalesce(current_setting('app.scope', true), '');
BEGIN
  PERFORM set_config('app.scope', 'platform', true);
  RETURN QUERY
  SELECT t.id, t.name, t.slug, m.role
  FROM tenant_memberships m
  JOIN tenants t ON t.id = m.tenant_id
  WHERE m.user_id = p_user AND m.status = 'active'
  ORDER BY t.name;
  PERFORM set_config('app.scope', previous_scope, true);
END
$$;
