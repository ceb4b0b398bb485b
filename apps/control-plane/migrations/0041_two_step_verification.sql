-- Two-step verification (TOTP, RFC 6238) at the built-in provider, and the organization setting
-- "MFA required" enforced by the API (issue 15; docs/ARCHITECTURE.md, Identity).
--
-- 1. `user_totp`: one authenticator per account (platform table: an account spans tenants, and
--    only the provider's own pages read it). The shared secret must be readable to check codes,
--    so it cannot be hashed: it is encrypted with AES-256-GCM under a key derived (HKDF) from the
--    provider's persistent server secret (OIDC_COOKIE_SECRET, or the one generated into the data
--    folder by platform/secrets.ts): a copy of the database alone reveals no secret. Rotating that
--    secret makes stored authenticators unreadable (their owners set up again; recovery codes
--    still work). `confirmed_at` is null while enrolment waits for its first code;
--    `last_used_step` is the TOTP time step of the last accepted code: a code is accepted only
--    for a later step, so one code never works twice (no replay within its 30 s window or the
--    neighbouring ones).
-- 2. `user_recovery_codes`: ten one-time codes per authenticator, shown once; only their SHA-256
--    is kept (each has 50 random bits, so a hash is not worth brute-forcing and needs no salt).
-- 3. `auth_principal()` also returns whether the tenant asked for requires two-step verification
--    (organization_settings.mfa_required, false without a settings row), still one statement;
--    its return type changes, so it is dropped and created again (EXECUTE stays PUBLIC's, as the
--    default grant of 0026 was). Changing the setting bumps auth_epoch like every other access
--    change (0026), so API copies drop cached principals within the documented 5 s bound.

CREATE TABLE user_totp (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_encrypted text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  confirmed_at timestamptz,
  last_used_step bigint
);

CREATE TABLE user_recovery_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  UNIQUE (user_id, code_hash)
);

CREATE CONSTRAINT TRIGGER auth_epoch_mfa_setting_insert
  AFTER INSERT ON organization_settings DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.mfa_required)
  EXECUTE FUNCTION bump_auth_epoch();
CREATE CONSTRAINT TRIGGER auth_epoch_mfa_setting_update
  AFTER UPDATE ON organization_settings DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.mfa_required IS DISTINCT FROM NEW.mfa_required OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
  EXECUTE FUNCTION bump_auth_epoch();
CREATE CONSTRAINT TRIGGER auth_epoch_mfa_setting_delete
  AFTER DELETE ON organization_settings DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.mfa_required)
  EXECUTE FUNCTION bump_auth_epoch();

DROP FUNCTION auth_principal(uuid, text, uuid);
CREATE FUNCTION auth_principal(p_user uuid, p_subject text, p_tenant uuid)
RETURNS TABLE (
  id uuid, email text, name text, external_subject text, platform_role text, status text, created_at timestamptz,
  tenant_id uuid, tenant_status text, role text, active_memberships integer, epoch bigint, tenant_mfa_required boolean
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  previous_scope constant text := coalesce(current_setting('app.scope', true), '');
BEGIN
  PERFORM set_config('app.scope', 'platform', true);
  RETURN QUERY
  SELECT u.id, u.email, u.name, u.external_subject, u.platform_role, u.status, u.created_at,
         t.id, t.status, m.role, mc.n, (SELECT e.value FROM auth_epoch e WHERE e.id = 1),
         coalesce(os.mfa_required, false)
  FROM users u
  CROSS JOIN LATERAL (
    SELECT count(*)::integer AS n, (array_agg(am.tenant_id))[1] AS only_tenant
    FROM tenant_memberships am
    WHERE am.user_id = u.id AND am.status = 'active'
  ) mc
  LEFT JOIN tenants t ON t.id = coalesce(p_tenant, CASE WHEN mc.n = 1 THEN mc.only_tenant END)
  LEFT JOIN tenant_memberships m ON m.tenant_id = t.id AND m.user_id = u.id AND m.status = 'active'
  LEFT JOIN organization_settings os ON os.tenant_id = t.id
  WHERE u.id = coalesce(p_user, (SELECT s.id FROM users s WHERE s.external_subject = p_subject));
  PERFORM set_config('app.scope', previous_scope, true);
END
$$;
