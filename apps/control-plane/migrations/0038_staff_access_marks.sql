-- Staff access to a tenant is audited in that tenant's trail (issue 16): when platform staff
-- (super_admin, not a member) act in a tenant, a `staff.accessed` entry is recorded at most once
-- per staff user and tenant per window. The mark is the last time an entry was recorded; a
-- conditional upsert on it decides atomically, across API copies, whether this request records
-- one (the entry and the mark in one transaction).
CREATE TABLE staff_access_marks (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  last_recorded_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);
SELECT enable_tenant_isolation('staff_access_marks');
