import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(packageRoot, '../..');

const flag = z
  .enum(['0', '1', 'true', 'false'])
  .transform((v) => v === '1' || v === 'true');

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(14000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Public base URL of this API (issuer and links are built from it). */
  PUBLIC_URL: z.url().default('http://localhost:14000'),
  /** Origin(s) of the portal, comma separated: CORS and OIDC redirect URIs. */
  PORTAL_URL: z.string().default('http://localhost:27100'),
  /** PostgreSQL server; when unset the embedded PGlite database in CBP_DATA_DIR is used. */
  DATABASE_URL: z.string().optional(),
  /**
   * Owner role that runs migrations, when the API's own role (DATABASE_URL) should not own the
   * tables: the API role is then granted data access, with the audit trail insert-only.
   */
  DATABASE_MIGRATION_URL: z.string().optional(),
  /** How often the audit retention job runs (ms); 0 turns it off. */
  AUDIT_RETENTION_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** How often ended usage periods are closed and their overage put on the invoice (ms); 0 turns it off. */
  USAGE_PERIOD_CLOSE_INTERVAL_MS: z.coerce.number().int().min(0).default(300_000),
  CBP_DATA_DIR: z.string().default(path.join(repoRoot, '.data')),
  /** Seed the demo tenants and users into an empty database (default: on for the embedded database only). */
  CBP_DEMO: flag.optional(),
  /** External identity provider (Keycloak realm URL); when unset the built-in provider at /oidc is used. */
  OIDC_ISSUER_URL: z.url().optional(),
  /** Audience the API requires in access tokens; defaults to PUBLIC_URL (the built-in provider's resource indicator). */
  OIDC_AUDIENCE: z.string().optional(),
  /** Private JWKS (JSON) of the built-in provider; generated into CBP_DATA_DIR when unset. Set it when running several copies. */
  OIDC_SIGNING_JWKS: z.string().optional(),
  OIDC_CLIENT_ID: z.string().default('cbp-portal'),
  /** Secret for the built-in provider's cookies; generated into CBP_DATA_DIR when unset. */
  OIDC_COOKIE_SECRET: z.string().min(32).optional(),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** Handed to the portal with each SetupIntent so it can load Stripe Elements. */
  STRIPE_PUBLISHABLE_KEY: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().optional(),
  /** smtp://user:pass@host:port (smtps:// for implicit TLS, ?tls=off for a local relay); unset: mail stays in the outbox. */
  SMTP_URL: z.url().optional(),
  MAIL_FROM: z.string().default('CBP <no-reply@cbp.localhost>'),
  /** How often queued mail is sent when SMTP_URL is set (ms). */
  MAIL_DELIVERY_INTERVAL_MS: z.coerce.number().int().min(0).default(2_000),
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
