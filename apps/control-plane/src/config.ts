import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(packageRoot, '../..');

const flag = z
  .enum(['0', '1', 'true', 'false'])
  .transform((v) => v === '1' || v === 'true');

/** One TRUST_PROXY entry: an IP, a CIDR, or one of proxy-addr's names (loopback, linklocal, uniquelocal). */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (rest.length > 0 || version === 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

/**
 * Which proxies' X-Forwarded-For is believed (Fastify's `trustProxy`): none (unset), IPs/CIDRs,
 * or a hop count: the nearest `n` hops are trusted whatever their address (only when nothing
 * but the load balancer can reach the API; Fastify itself refuses numbers, hence the function).
 */
const trustProxy = z
  .string()
  .optional()
  .refine(
    (v) => !v?.trim() || /^\d+$/.test(v.trim()) || v.split(',').every((e) => isProxyAddress(e.trim())),
    'expected a hop count (e.g. 1) or comma-separated IP addresses / CIDRs of your proxies',
  )
  .transform((v): false | string[] | ((address: string, hop: number) => boolean) => {
    const value = v?.trim() ?? '';
    if (!value) return false;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      return (_address, hop) => hop < hops;
    }
    return value.split(',').map((e) => e.trim());
  });

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(14000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Public base URL of this API (issuer and links are built from it). */
  PUBLIC_URL: z.url().default('http://localhost:14000'),
  /** Origin(s) of the portal, comma separated: CORS and OIDC redirect URIs. */
  PORTAL_URL: z.string().default('http://localhost:27100'),
  /**
   * Client addresses come from X-Forwarded-For only through these proxies (load balancer):
   * unset = trust no proxy (the socket's peer is the client), a hop count, or IPs/CIDRs.
   */
  TRUST_PROXY: trustProxy,
  /** PostgreSQL server; when unset the embedded PGlite database in CBP_DATA_DIR is used. */
  DATABASE_URL: z.string().optional(),
  /**
   * Owner role that runs migrations, when the API's own role (DATABASE_URL) should not own the
   * tables: the API role is then granted data access, with the audit trail insert-only.
   */
  DATABASE_MIGRATION_URL: z.string().optional(),
  /**
   * Connections one API copy may open to PostgreSQL: the main pool (writes, transactions,
   * authentication) and the read pool (tenant reads without a transaction, decision 003). A copy
   * holds up to their sum; size them so every copy's sum fits the server's max_connections.
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  DATABASE_READ_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  /** How often the audit retention job runs (ms); 0 turns it off. */
  AUDIT_RETENTION_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** How often ended usage periods are closed and their overage put on the invoice (ms); 0 turns it off. */
  USAGE_PERIOD_CLOSE_INTERVAL_MS: z.coerce.number().int().min(0).default(300_000),
  /** How long an Idempotency-Key claim holds before a retry may take it over (ms, at most 60 s; tests shorten it). */
  IDEMPOTENCY_LEASE_MS: z.coerce.number().int().min(100).max(60_000).default(60_000),
  CBP_DATA_DIR: z.string().default(path.join(repoRoot, '.data')),
  /**
   * Object storage (organization logos, GDPR export archives; adapters/storage): `disk` (files
   * under OBJECT_STORAGE_DIR) or `s3` (an S3-compatible bucket, S3_*): several API copies need
   * `s3` or one directory they all mount.
   */
  OBJECT_STORAGE: z.enum(['disk', 's3']).default('disk'),
  /** The disk adapter's directory; default CBP_DATA_DIR/objects. */
  OBJECT_STORAGE_DIR: z.string().optional(),
  /** With OBJECT_STORAGE=s3: the bucket (required). */
  S3_BUCKET: z.string().trim().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)').optional(),
  /** The bucket's region (S3-compatible stores mostly accept any; R2: `auto`). */
  S3_REGION: z.string().trim().min(1).default('us-east-1'),
  /** Endpoint of an S3-compatible store (MinIO `http://minio:9000`, R2 `https://<account>.r2.cloudflarestorage.com`); unset: AWS S3. */
  S3_ENDPOINT: z.url().optional(),
  /** Path-style URLs (`endpoint/bucket/key`); default on when S3_ENDPOINT is set, off for AWS. */
  S3_FORCE_PATH_STYLE: flag.optional(),
  /** Static credentials (both or neither); unset: the AWS SDK's default chain (AWS_ACCESS_KEY_ID..., profiles, IAM roles). */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Prefix of every key, ending in `/` (several deployments in one bucket), e.g. `cbp/`. */
  S3_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)+$/, 'expected path segments ending in / (e.g. cbp/)')
    .optional(),
  /** Seed the demo tenants and users into an empty database (default: on for the embedded database only). */
  CBP_DEMO: flag.optional(),
  /** External identity provider (Keycloak realm URL); when unset the built-in provider at /oidc is used. */
  OIDC_ISSUER_URL: z.url().optional(),
  /** Audience the API requires in access tokens; defaults to PUBLIC_URL (the built-in provider's resource indicator). */
  OIDC_AUDIENCE: z.string().optional(),
  /** Private JWKS (JSON) of the built-in provider; generated into CBP_DATA_DIR when unset. Set it when running several copies. */
  OIDC_SIGNING_JWKS: z.string().optional(),
  OIDC_CLIENT_ID: z.string().default('cbp-portal'),
  /**
   * Keycloak Admin REST API (identity roles, user lookup, sessions): the server's base URL
   * (e.g. https://sso.example.com, without /realms/...). When set, the identity-admin port uses
   * Keycloak with the service account below (client-credentials grant); otherwise the built-in provider.
   */
  KEYCLOAK_URL: z.url().optional(),
  /** The realm CBP's users and roles live in. */
  KEYCLOAK_REALM: z.string().min(1).default('cbp'),
  /** Confidential client with a service account holding realm-management roles view-users, manage-users, view-realm. */
  KEYCLOAK_ADMIN_CLIENT_ID: z.string().min(1).default('cbp-admin'),
  KEYCLOAK_ADMIN_CLIENT_SECRET: z.string().optional(),
  /** Secret for the built-in provider's cookies; generated into CBP_DATA_DIR when unset. */
  OIDC_COOKIE_SECRET: z.string().min(32).optional(),
  /**
   * Key of the signed unsubscribe links in notification mail (HMAC-SHA256); generated into
   * CBP_DATA_DIR when unset. Set the same value in every copy, or links from one fail on another.
   */
  NOTIFICATION_TOKEN_SECRET: z.string().min(32).optional(),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** Handed to the portal with each SetupIntent so it can load Stripe Elements. */
  STRIPE_PUBLISHABLE_KEY: z.string().optional(),
  /** host:port of a Temporal frontend: workflows then run on Temporal instead of the built-in engine (decision 008). */
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('cbp'),
  /** With TEMPORAL_ADDRESS: `api` runs a Temporal worker inside the API process; `none` (default) leaves it to `npm run worker`. */
  TEMPORAL_WORKER: z.enum(['api', 'none']).default('none'),
  /** How often the built-in workflow engine looks for due runs (ms); 0: this process runs no workflows (it still starts, lists and manages them). */
  WORKFLOW_POLL_INTERVAL_MS: z.coerce.number().int().min(0).default(1_000),
  /** How long a built-in engine's claim holds a run without a heartbeat (ms): a crashed copy's runs are taken over after it. */
  WORKFLOW_LEASE_MS: z.coerce.number().int().min(1_000).default(30_000),
  /**
   * How often this copy polls for undelivered domain events (ms) besides being woken by NOTIFY at
   * each commit; 0: it only publishes (other copies deliver). Unset: 5 s when this process runs
   * workflows (WORKFLOW_POLL_INTERVAL_MS > 0), else 0.
   */
  EVENTS_POLL_INTERVAL_MS: z.coerce.number().int().min(0).optional(),
  /** Heartbeat comment on each open `GET /notifications/stream` (ms), so proxies keep it open and clients notice a dead one. */
  NOTIFICATIONS_HEARTBEAT_MS: z.coerce.number().int().min(10).default(15_000),
  /** Open notification streams per user and organization; a new one closes the oldest. */
  NOTIFICATIONS_STREAMS_PER_USER: z.coerce.number().int().min(1).default(5),
  /**
   * Crash test hook: the process SIGKILLs itself at this point (renewal-after-invoice: between the
   * renewal's invoice and subscription writes; export-after-archive: between the GDPR export's
   * archive upload and its step checkpoint). Tests only.
   */
  CBP_TEST_CRASH_AT: z.enum(['renewal-after-invoice', 'export-after-archive']).optional(),
  /** End-to-end test hooks (modules/workflows/test-hooks.ts: a workflow that fails on demand); refused with NODE_ENV=production. */
  CBP_TEST_HOOKS: flag.optional(),
  /** smtp://user:pass@host:port (smtps:// for implicit TLS, ?tls=off for a local relay); unset: mail stays in the outbox. */
  SMTP_URL: z.url().optional(),
  MAIL_FROM: z.string().default('CBP <no-reply@cbp.localhost>'),
  /** How often queued mail is sent when SMTP_URL is set (ms). */
  MAIL_DELIVERY_INTERVAL_MS: z.coerce.number().int().min(0).default(2_000),
  /** How often the daily notification digest of the last ended UTC day is started, if not yet (ms); 0: off. */
  NOTIFICATION_DIGEST_INTERVAL_MS: z.coerce.number().int().min(0).default(15 * 60_000),
  /** The seller on invoice PDFs (issue 17): legal name, postal address (lines separated by `|`), tax id (VAT/EIN). */
  INVOICE_SELLER_NAME: z.string().trim().min(1).default('CBP · Customer Business Portal'),
  INVOICE_SELLER_ADDRESS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split('|').map((s) => s.trim()).filter(Boolean)),
  INVOICE_SELLER_TAX_ID: z.string().trim().min(1).optional(),
  /** Rate limits (platform/rate-limit.ts), 0 = off: reads (GET) per second per user. */
  RATE_LIMIT_READS_PER_SECOND: z.coerce.number().min(0).default(100),
  /** Mutations (POST, PUT, PATCH, DELETE) per second per user. */
  RATE_LIMIT_WRITES_PER_SECOND: z.coerce.number().min(0).default(20),
  /** Usage events per second per API key (keep it at least the batch size, 1,000). */
  RATE_LIMIT_EVENTS_PER_SECOND: z.coerce.number().min(0).default(5_000),
  /** Unauthenticated requests (and failed authentications) per minute per client address, per API copy. */
  RATE_LIMIT_ANON_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** Length of the counting window (ms); the per-second budgets are scaled to it. */
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(100).max(3_600_000).default(1_000),
  /**
   * DNS server(s) for domain verification TXT lookups, comma separated `host` or `host:port`
   * (`[::1]:53` for IPv6 with a port); unset: the system's resolvers.
   */
  DNS_RESOLVER: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined)),
  /** How often a pending domain is re-checked by its verification workflow (ms). */
  DOMAIN_VERIFICATION_INTERVAL_MS: z.coerce.number().int().min(100).default(3_600_000),
  /** How long a pending domain is re-checked before it is marked failed (ms, default 72 h). */
  DOMAIN_VERIFICATION_WINDOW_MS: z.coerce.number().int().min(100).default(72 * 3_600_000),
  /** Grace period between DELETE /organization and the removal of the organization's data (ms); 30 days. Tests use a tiny one. */
  ORGANIZATION_DELETION_GRACE_MS: z.coerce.number().int().min(1).default(30 * 86_400_000),
  /** How long a GDPR export archive is kept before the export workflow removes it (ms); 7 days. */
  ORGANIZATION_EXPORT_TTL_MS: z.coerce.number().int().min(1).default(7 * 86_400_000),
}).superRefine((c, ctx) => {
  if (c.OBJECT_STORAGE === 's3' && !c.S3_BUCKET) ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'required with OBJECT_STORAGE=s3' });
  if (Boolean(c.S3_ACCESS_KEY_ID) !== Boolean(c.S3_SECRET_ACCESS_KEY)) {
    ctx.addIssue({ code: 'custom', path: [c.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID'], message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together' });
  }
});

export type Config = z.infer<typeof ConfigSchema> & {
  portalOrigins: string[];
  issuer: string;
  embeddedIdentity: boolean;
  audience: string;
  demo: boolean;
};

/** Parses the environment once; throws a readable error listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const publicUrl = c.PUBLIC_URL.replace(/\/$/, '');
  return {
    ...c,
    PUBLIC_URL: publicUrl,
    portalOrigins: c.PORTAL_URL.split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean),
    issuer: c.OIDC_ISSUER_URL ?? `${publicUrl}/oidc`,
    embeddedIdentity: !c.OIDC_ISSUER_URL,
    audience: c.OIDC_AUDIENCE ?? publicUrl,
    demo: c.CBP_DEMO ?? !c.DATABASE_URL,
  };
}
