-- Organization logo (issue 15, slice 2; docs/ARCHITECTURE.md, Object storage).
--
-- The image itself lives in object storage (platform/object-storage.ts: disk under CBP_DATA_DIR),
-- under a content-addressed key `tenants/<tenant id>/logo/<sha-256>.png`; this row says which
-- object is the tenant's logo. The object is written first, then this row (with the audit entry,
-- in one transaction): a crash in between leaves an unreferenced object (harmless), never a row
-- without its object.

CREATE TABLE organization_logos (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  storage_key text NOT NULL CHECK (storage_key ~ '^tenants/[0-9a-f-]{36}/logo/[0-9a-f]{64}\.png$'),
  -- The content hash, also the HTTP ETag.
  etag text NOT NULL CHECK (etag ~ '^[0-9a-f]{64}$'),
  content_type text NOT NULL CHECK (content_type IN ('image/png')),
  size_bytes integer NOT NULL CHECK (size_bytes > 0 AND size_bytes <= 1048576),
  width integer NOT NULL CHECK (width > 0),
  height integer NOT NULL CHECK (height > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_isolation('organization_logos');
