import { defaultOrganizationSettings, type OrganizationDomain, type OrganizationProfile, type OrganizationSettings } from '@cbp/contracts';
import { acme } from '@/test/fixtures';

/** Acme's profile as GET /organization answers it, with nothing but its name filled in and no deletion scheduled. */
export const acmeProfile: OrganizationProfile = {
  id: acme.id,
  name: 'Acme Corp',
  slug: 'acme',
  legalName: null,
  billingEmail: null,
  address: { line1: null, line2: null, city: null, postalCode: null, region: null, country: null },
  taxId: null,
  website: null,
  updatedAt: null,
  deletion: null,
};

/** The settings a new organization has (GET /organization/settings): the contract's defaults. */
export const organizationSettings: OrganizationSettings = { ...defaultOrganizationSettings };

/** acme.example, added and waiting for its TXT record. */
export const pendingDomain: OrganizationDomain = {
  id: '11111111-1111-4111-8111-111111111111',
  domain: 'acme.example',
  status: 'pending',
  verificationRecord: { type: 'TXT', name: '_cbp-verification.acme.example', value: 'cbp-verify-0123456789abcdef0123456789abcdef01234567' },
  createdAt: '2026-12-01T10:00:00.000Z',
  lastCheckedAt: null,
  lastCheckMessage: null,
  verifiedAt: null,
  failureReason: null,
};
