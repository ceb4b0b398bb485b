-- Organization profile, settings and verified domains (issue 15; docs/ARCHITECTURE.md, Organization).
--
-- The organization's name stays in tenants.name (the tenant switcher shows it); the rest of the
-- profile and the settings are one row per tenant, absent until first edited (the API answers
-- defaults). A domain is claimed by adding it (pending, with a random token to publish as the TXT
-- record `_cbp-verification.<domain>`), then verified by a DNS lookup; a verified domain belongs
-- to one tenant only (partial unique index), pending ones may be claimed by several.

CREATE TABLE organization_profiles (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  legal_name text,
  billing_email text,
  address_line1 text,
  address_line2 text,
  address_city text,
  address_postal_code text,
  address_region text,
  address_country text CHECK (address_country ~ '^[A-Z]{2}$'),
  tax_id text,
  website text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_isolation('organization_profiles');

CREATE TABLE organization_settings (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  timezone text NOT NULL DEFAULT 'UTC',
  locale text NOT NULL DEFAULT 'en-US',
  date_format text NOT NULL DEFAULT 'YYYY-MM-DD' CHECK (date_format IN ('YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'DD.MM.YYYY')),
  session_timeout_minutes integer NOT NULL DEFAULT 60 CHECK (session_timeout_minutes BETWEEN 5 AND 1440),
  mfa_required boolean NOT NULL DEFAULT false,
  allowed_signup_domains text[] NOT NULL DEFAULT '{}',
  -- Never owner: ownership is transferred, not granted on sign-up.
  default_role text NOT NULL DEFAULT 'analyst' CHECK (default_role IN ('analyst', 'engineer', 'admin')),
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_isolation('organization_settings');

CREATE TABLE organization_domains (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  domain text NOT NULL CHECK (domain = lower(domain) AND length(domain) BETWEEN 3 AND 253),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'failed')),
  token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_checked_at timestamptz,
  last_check_message text,
  verified_at timestamptz,
  failure_reason text,
  UNIQUE (tenant_id, domain),
  CHECK ((status = 'verified') = (verified_at IS NOT NULL))
);
-- One owner per verified domain, whichever tenant verifies first.
CREATE UNIQUE INDEX organization_domains_verified_idx ON organization_domains (domain) WHERE status = 'verified';
SELECT enable_tenant_isolation('organization_domains');
