-- Tenant suspension by platform staff (issue 16, staff console): why, when and by whom a tenant
-- was suspended, kept on the tenant while its status is 'suspended' (cleared on reactivation;
-- the audit trail keeps the history). Suspending changes tenants.status, which bumps auth_epoch
-- (migration 0026), so every API copy drops its cached principals and API keys of the tenant
-- within the documented bound and the guard answers 403 TENANT_SUSPENDED.

ALTER TABLE tenants
  ADD COLUMN suspended_reason text CHECK (char_length(suspended_reason) BETWEEN 1 AND 500),
  ADD COLUMN suspended_at timestamptz,
  ADD COLUMN suspended_by uuid;

-- For the staff console's list (search by name or slug, newest first).
CREATE INDEX tenants_created_idx ON tenants (created_at DESC, id);
