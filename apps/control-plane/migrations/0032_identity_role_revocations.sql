-- Identity roles (issue 16): revoking a role must end its effect at once, but a token the
-- identity provider issued before the revocation still carries it (Keycloak's realm_access
-- claim) until it expires. A revocation marker per (identity subject, role) records when the
-- role was taken away; platform/auth.ts ignores the role in any token issued (iat) before that
-- moment. Assigning the role again deletes the marker. Inserting, changing or deleting a
-- marker bumps auth_epoch (migration 0026), so every API copy drops its cached principals
-- within the documented 5 s bound.
--
-- With the built-in provider the role lives in users.platform_role (its trigger already bumps
-- the epoch) and tokens are mapped from the database, not from their claims; the marker is
-- written anyway so both adapters behave alike.

CREATE TABLE identity_role_revocations (
  -- The identity provider's user id: the token's `sub` (Keycloak user id, or the CBP user id).
  subject text NOT NULL,
  role text NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject, role)
);

CREATE CONSTRAINT TRIGGER auth_epoch_identity_role_revocation_insert
  AFTER INSERT OR DELETE ON identity_role_revocations DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();
CREATE CONSTRAINT TRIGGER auth_epoch_identity_role_revocation_update
  AFTER UPDATE ON identity_role_revocations DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION bump_auth_epoch();
