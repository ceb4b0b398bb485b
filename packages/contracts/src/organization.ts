import { z } from 'zod';

/**
 * The organization's profile, settings and verified domains (API.md, Organization; issue 15).
 * Everyone in the organization (analyst and up) reads them; admins and owners change them.
 * Every field is checked here, so the API answers field errors and the portal's forms show the
 * same messages before sending.
 */

/** Free text that may be cleared with null; surrounding spaces are dropped. */
const text = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, `${label} is at most ${max} characters.`)
    .nullable();

/** Region codes Intl knows that are not countries (ISO 3166-1 alpha-2 user-assigned or groupings). */
const notCountries = new Set(['EU', 'EZ', 'UN', 'ZZ', 'QO', 'XA', 'XB']);
let regionNames: Intl.DisplayNames | null = null;

/** An ISO 3166-1 alpha-2 country code (upper case), as Intl knows the regions. */
export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || notCountries.has(code)) return false;
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  return regionNames.of(code) !== undefined;
}

/** The English name of a country code, or the code itself. */
export function countryName(code: string): string {
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  return (isCountryCode(code) && regionNames.of(code)) || code;
}

/** An IANA time zone the runtime knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** A well-formed BCP 47 language tag (`en-GB`, `fr`, `pt-BR`). */
export function isLocale(value: string): boolean {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

/**
 * A host name in ASCII (punycode for IDNs), lower case, at least two labels, no trailing dot.
 * No lookarounds (so property tests can generate from it): check `hostnameMaxLength` as well.
 */
export const hostnamePattern = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
export const hostnameMaxLength = 253;

export const Address = z.object({
  line1: text(200, 'Address line 1'),
  line2: text(200, 'Address line 2'),
  city: text(100, 'City'),
  postalCode: text(20, 'Postal code'),
  region: text(100, 'Region'),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCountryCode, 'Country must be an ISO 3166-1 alpha-2 code, e.g. DE or US.')
    .nullable()
    .describe('ISO 3166-1 alpha-2'),
});
export type Address = z.infer<typeof Address>;

export const OrganizationProfile = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  legalName: z.string().nullable(),
  billingEmail: z.email().nullable(),
  address: Address,
  taxId: z.string().nullable(),
  website: z.string().nullable(),
  updatedAt: z.iso.datetime().nullable().describe('Last change of the profile (null: never edited)'),
  deletion: z
    .object({ scheduledFor: z.iso.datetime() })
    .nullable()
    .default(null)
    .describe('Set while the organization is scheduled for deletion (DELETE /organization); null otherwise'),
});
export type OrganizationProfile = z.infer<typeof OrganizationProfile>;

/** PATCH /organization: only the fields given change; null clears an optional field. */
export const OrganizationProfileUpdate = z
  .object({
    name: z.string().trim().min(2, 'Name needs at least 2 characters.').max(100, 'Name is at most 100 characters.'),
    legalName: text(200, 'Legal name'),
    billingEmail: z.email('Billing email must be an email address.').max(254).transform((e) => e.toLowerCase()).nullable(),
    address: Address.partial(),
    taxId: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 .\-/]{1,38}[A-Za-z0-9]$/, 'Tax id is 3 to 40 letters, digits, spaces, dots, dashes or slashes.')
      .nullable(),
    website: z
      .url({ protocol: /^https?$/, hostname: z.regexes.domain, error: 'Website must be an http(s) address, e.g. https://acme.example.' })
      .max(300, 'Website is at most 300 characters.')
      .nullable(),
  })
  .partial()
  .strict();
export type OrganizationProfileUpdate = z.infer<typeof OrganizationProfileUpdate>;
export type OrganizationProfileUpdateInput = z.input<typeof OrganizationProfileUpdate>;

export const dateFormats = ['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'DD.MM.YYYY'] as const;
export const DateFormat = z.enum(dateFormats);
export type DateFormat = z.infer<typeof DateFormat>;

/** Roles a new member may get by default: never owner. */
export const DefaultMemberRole = z.enum(['analyst', 'engineer', 'admin']);
export type DefaultMemberRole = z.infer<typeof DefaultMemberRole>;

export const sessionTimeoutRange = { min: 5, max: 1440 } as const;

export const OrganizationSettings = z.object({
  timezone: z.string().refine(isTimeZone, 'Timezone must be an IANA time zone, e.g. Europe/Berlin.'),
  locale: z.string().trim().refine(isLocale, 'Locale must be a BCP 47 language tag, e.g. en-GB.'),
  dateFormat: DateFormat,
  sessionTimeoutMinutes: z
    .number()
    .int('Session timeout is a whole number of minutes.')
    .min(sessionTimeoutRange.min, `Session timeout is at least ${sessionTimeoutRange.min} minutes.`)
    .max(sessionTimeoutRange.max, `Session timeout is at most ${sessionTimeoutRange.max} minutes (24 hours).`),
  mfaRequired: z.boolean(),
  allowedSignupDomains: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .max(hostnameMaxLength, `A sign-up domain has at most ${hostnameMaxLength} characters.`)
        .regex(hostnamePattern, 'Each sign-up domain must be a domain name such as acme.example.'),
    )
    .max(50, 'At most 50 sign-up domains.')
    .refine((list) => new Set(list).size === list.length, 'A sign-up domain is listed twice.'),
  defaultRole: DefaultMemberRole,
});
export type OrganizationSettings = z.infer<typeof OrganizationSettings>;

export const defaultOrganizationSettings: OrganizationSettings = {
  timezone: 'UTC',
  locale: 'en-US',
  dateFormat: 'YYYY-MM-DD',
  sessionTimeoutMinutes: 60,
  mfaRequired: false,
  allowedSignupDomains: [],
  defaultRole: 'analyst',
};

/** PATCH /settings: only the fields given change. */
export const OrganizationSettingsUpdate = OrganizationSettings.partial().strict();
export type OrganizationSettingsUpdate = z.infer<typeof OrganizationSettingsUpdate>;

export const DomainStatus = z.enum(['pending', 'verified', 'failed']);
export type DomainStatus = z.infer<typeof DomainStatus>;

/** The DNS record that proves control of a domain. */
export const VerificationRecord = z.object({
  type: z.literal('TXT'),
  name: z.string().describe('`_cbp-verification.<domain>`'),
  value: z.string().describe('The random token to publish'),
});
export type VerificationRecord = z.infer<typeof VerificationRecord>;

export const OrganizationDomain = z.object({
  id: z.uuid(),
  domain: z.string().describe('Normalised: lower case, IDN as punycode'),
  status: DomainStatus,
  verificationRecord: VerificationRecord,
  createdAt: z.iso.datetime(),
  lastCheckedAt: z.iso.datetime().nullable(),
  lastCheckMessage: z.string().nullable().describe('What the latest DNS check found'),
  verifiedAt: z.iso.datetime().nullable(),
  failureReason: z.string().nullable(),
});
export type OrganizationDomain = z.infer<typeof OrganizationDomain>;

export const OrganizationDomainList = z.object({ data: z.array(OrganizationDomain) });
export type OrganizationDomainList = z.infer<typeof OrganizationDomainList>;

export const AddDomainInput = z.object({
  domain: z.string().trim().min(1, 'Enter a domain, e.g. acme.example.').max(300, 'Domain is too long.'),
});
export type AddDomainInput = z.infer<typeof AddDomainInput>;

export const VerifyDomainResult = z.object({
  domain: OrganizationDomain,
  verified: z.boolean(),
  message: z.string(),
});
export type VerifyDomainResult = z.infer<typeof VerifyDomainResult>;

/** The TXT record name that proves control of `domain`. */
export const verificationRecordName = (domain: string) => `_cbp-verification.${domain}`;

/** Logo upload (PUT /organization/logo, multipart field `file`): what is accepted. */
export const logoUpload = {
  maxBytes: 1024 * 1024,
  accept: ['image/png', 'image/jpeg', 'image/webp'] as const,
  /** The stored thumbnail: a square PNG, the image contained on a transparent background. */
  size: 256,
} as const;

/** The stored logo's metadata; the image itself is GET /organization/logo (ETag = `etag`). */
export const OrganizationLogo = z.object({
  etag: z.string(),
  contentType: z.literal('image/png'),
  sizeBytes: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  updatedAt: z.iso.datetime(),
});
export type OrganizationLogo = z.infer<typeof OrganizationLogo>;

/** GDPR export (POST /organization/export): the workflow that builds the archive. */
export const OrganizationExportStarted = z.object({ id: z.uuid(), workflowId: z.string() });
export type OrganizationExportStarted = z.infer<typeof OrganizationExportStarted>;

export const OrganizationExportStatus = z.enum(['running', 'ready', 'failed', 'expired']);
export type OrganizationExportStatus = z.infer<typeof OrganizationExportStatus>;

/** One archive; downloadable while `ready` (GET /organization/exports/{id}/download), removed after `expiresAt`. */
export const OrganizationExport = z.object({
  id: z.uuid(),
  status: OrganizationExportStatus,
  size: z.number().int().nullable().describe('Bytes of the zip (null until ready)'),
  workflowId: z.string(),
  runId: z.uuid().nullable().describe('The workflow run (GET /workflows/{id}/status shows its steps)'),
  createdAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  expiresAt: z.iso.datetime(),
});
export type OrganizationExport = z.infer<typeof OrganizationExport>;

export const OrganizationExportList = z.object({ data: z.array(OrganizationExport), total: z.number().int() });
export type OrganizationExportList = z.infer<typeof OrganizationExportList>;

/** How many days an export archive is kept. */
export const organizationExportRetentionDays = 7;
/** Grace period between DELETE /organization and the removal of the data. */
export const organizationDeletionGraceDays = 30;

/** DELETE /organization: the organization's exact name, as a confirmation. */
export const OrganizationDeletionInput = z.object({
  confirmName: z.string().max(200).describe("The organization's exact name"),
});
export type OrganizationDeletionInput = z.infer<typeof OrganizationDeletionInput>;

export const OrganizationDeletion = z.object({
  status: z.enum(['pending_deletion', 'active']),
  scheduledFor: z.iso.datetime().nullable(),
  workflowId: z.string().nullable(),
});
export type OrganizationDeletion = z.infer<typeof OrganizationDeletion>;
