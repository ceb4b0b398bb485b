import { randomBytes, randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from 'helmet';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { registerBuiltinIdentity } from './adapters/identity/builtin/provider.js';
import { publicJwks, type SigningKeys } from './adapters/identity/builtin/keys.js';
import type { Config } from './config.js';
import { createPaymentGateway } from './adapters/payments/index.js';
import { createMailer } from './adapters/mail/port.js';
import { createSmtpSender } from './adapters/mail/smtp.js';
import { createBuiltinWorkflowEngine } from './adapters/workflows/builtin.js';
import type { WorkflowDefinition, WorkflowEngine } from './adapters/workflows/port.js';
import { apiKeyRoutes } from './modules/api-keys/api-keys.routes.js';
import { authenticateApiKey } from './modules/api-keys/api-keys.service.js';
import { auditLogRoutes } from './modules/audit-logs/audit-logs.routes.js';
import { billingRoutes } from './modules/billing/billing.routes.js';
import { applyGatewayEvent } from './modules/billing/gateway-events.js';
import { webhookRoutes } from './modules/billing/webhooks.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { identityRoleRoutes } from './modules/identity-roles/identity-roles.routes.js';
import { createIdentityAdmin } from './adapters/identity/admin/index.js';
import { accountProvider } from './adapters/identity/accounts.js';
import { signupOrganizations } from './modules/organization/domains.service.js';
import { joinByVerifiedDomain } from './modules/team/domain-join.service.js';
import { notificationRoutes } from './modules/notifications/notifications.routes.js';
import { createTxtLookup } from './modules/organization/dns.js';
import { organizationRoutes } from './modules/organization/organization.routes.js';
import { organizationDataRoutes } from './modules/organization/organization.data.routes.js';
import { organizationLogoRoutes } from './modules/organization/organization.logo.js';
import { createObjectStorage } from './adapters/storage/index.js';
import { customerBillingDetails, gatewayCustomerSync, invoiceCustomerSnapshot } from './modules/organization/organization-billing-details.js';
import { notificationHandler } from './modules/notifications/notifications.service.js';
import { notificationUnsubscribeRoutes } from './modules/notifications/notifications.unsubscribe.js';
import { createUnsubscribeTokens } from './modules/notifications/unsubscribe-token.js';
import { publishWorkflowFailure } from './modules/notifications/workflow-failures.js';
import { registerDomainEvents } from './platform/events.js';
import { responseSerializerCompiler } from './platform/serializer.js';
import { paymentMethodRoutes } from './modules/payment-methods/payment-methods.routes.js';
import { planRoutes } from './modules/plans/plans.routes.js';
import { sessionRoutes } from './modules/session/session.routes.js';
import { teamRoutes } from './modules/team/team.routes.js';
import { closeUsagePeriods } from './modules/usage/usage-billing.js';
import { usageRoutes } from './modules/usage/usage.routes.js';
import { workflowRoutes } from './modules/workflows/workflows.routes.js';
import { adminTenantRoutes } from './modules/tenants/admin-tenants.routes.js';
import { createAuthenticator } from './platform/auth.js';
import type { AppDb } from './platform/db.js';
import { registerErrorHandling, sendProblem } from './platform/errors.js';
import { registerGuard } from './platform/guard.js';
import { registerHostileInputGuard } from './platform/hostile-input.js';
import { rateLimitSettings, registerRateLimits } from './platform/rate-limit.js';
import { cbpWorkflows, scheduleCbpTriggers } from './cbp-workflows.js';
import { demoPassword, demoUsers } from './seed/demo.js';

export const version = '0.1.0';

declare module 'fastify' {
  interface FastifyInstance {
    payments: ReturnType<typeof createPaymentGateway>;
    workflows: WorkflowEngine;
  }
}

export interface AppDeps {
  config: Config;
  db: AppDb;
  /** Keys of the built-in identity provider (required unless an external issuer is configured). */
  signingKeys?: SigningKeys;
  /** Secret for the built-in provider's cookies. */
  cookieSecret?: string;
  /** Key of notification mail's unsubscribe links (main.ts: NOTIFICATION_TOKEN_SECRET or `.data/secrets`); default: that variable, else one per process. */
  unsubscribeSecret?: string;
  logger?: FastifyServerOptions['logger'];
  /** How often the billing clock starts renewal runs and the local gateway delivers its queued events (ms); 0 turns both off (tests do it by hand). */
  localEventIntervalMs?: number;
  /** Workflow definitions the engine runs besides CBP's own (cbp-workflows.ts); tests register theirs. */
  workflows?: readonly WorkflowDefinition[];
}

/** Builds the whole API without listening, so tests drive it with `app.inject()`. */
export async function buildApp({
  config,
  db,
  signingKeys,
  cookieSecret,
  unsubscribeSecret,
  logger = false,
  localEventIntervalMs = 2_000,
  workflows = [],
}: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{8,128}$/.test(given) ? given : randomUUID();
    },
    // X-Forwarded-For is believed only from the proxies in TRUST_PROXY (default: none).
    trustProxy: config.TRUST_PROXY,
    // A URL the router cannot take (bad percent-encoding, a parameter over 100 characters) is
    // answered before any route: as problem+json like every other refusal.
    frameworkErrors: (error, request, reply) =>
      sendProblem(request, reply, 400, 'VALIDATION_FAILED', error.message, [{ path: 'url', message: error.message }]),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler({ verify: config.NODE_ENV !== 'production' }));
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerErrorHandling(app);

  const portals = config.portalOrigins;
  // Helmet's headers, built once (the Fastify wrapper rebuilt the middleware, CSP parsing included,
  // on every request: issue 18) and set before anything else answers.
  const securityHeaders = helmet({
    // One policy for JSON and the identity provider's pages; the portal may frame the
    // provider for silent token renewal, nobody else may.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'", ...portals],
        frameAncestors: portals,
        baseUri: ["'none'"],
      },
    },
    frameguard: false,
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err instanceof Error ? err : undefined));
  });
  await app.register(cors, {
    origin: portals,
    // Last-Event-ID: the portal's notification stream resumes with it (GET /notifications/stream).
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Tenant-Id', 'Idempotency-Key', 'X-Request-Id', 'Last-Event-ID'],
    exposedHeaders: ['X-Request-Id', 'Content-Disposition', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    maxAge: 600,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CBP Control Plane API',
        version,
        description: 'Tenants, plans, subscriptions, billing, usage, audit, team and organization of CBP.',
      },
      servers: [{ url: config.PUBLIC_URL }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          tenant: { type: 'apiKey', in: 'header', name: 'X-Tenant-Id' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });

  let authenticatorKeys;
  if (config.embeddedIdentity) {
    if (!signingKeys || !cookieSecret) throw new Error('The built-in identity provider needs signing keys and a cookie secret');
    authenticatorKeys = publicJwks(signingKeys);
  }
  const authenticator = createAuthenticator({ db, issuer: config.issuer, audience: config.audience, localJwks: authenticatorKeys });
  // End-to-end test hooks (CBP_TEST_HOOKS=1 only, refused in production): a workflow that fails on demand.
  const testHooks = config.CBP_TEST_HOOKS ? await import('./modules/workflows/test-hooks.js') : undefined;
  registerGuard(app, { db, authenticator, authenticateApiKey: (secret) => authenticateApiKey(db, secret), extraPolicies: testHooks?.testHookPolicies });
  registerHostileInputGuard(app); // U+0000 / lone surrogates: 400 before the guard's lookups or any handler
  // Rate limits per user / API key (shared through the database) and per address (in process).
  await registerRateLimits(app, { db, settings: rateLimitSettings(config) });

  app.get('/docs', { schema: { tags: ['platform'], summary: 'This OpenAPI document' } }, () => app.swagger());
  await app.register(healthRoutes, { db, version });
  await app.register(sessionRoutes, { db, identity: { external: !config.embeddedIdentity, issuer: config.issuer } });
  await app.register(planRoutes, { db });
  await app.register(auditLogRoutes, { db });
  await app.register(apiKeyRoutes, { db });
  const mailer = createMailer(config.SMTP_URL ? 'smtp' : 'outbox');
  const portalUrl = config.portalOrigins[0] ?? config.PUBLIC_URL;
  // The email channel of notifications: templates, signed unsubscribe links (served by this API), the daily digest.
  const notificationMail = {
    mailer,
    portalUrl,
    publicUrl: config.PUBLIC_URL,
    tokens: createUnsubscribeTokens(unsubscribeSecret ?? config.NOTIFICATION_TOKEN_SECRET ?? randomBytes(32).toString('base64url')),
  };
  const invitations = {
    db,
    mailer,
    portalUrl,
    accounts: accountProvider(config, portalUrl),
  };
  await app.register(teamRoutes, invitations);
  await app.register(identityRoleRoutes, { db, admin: createIdentityAdmin(config, db) });
  // With SMTP_URL, queued mail is sent by the mail.delivery workflow (adapters/mail/mail.workflows.ts).
  const smtp = config.SMTP_URL ? createSmtpSender(config.SMTP_URL, config.MAIL_FROM) : null;
  if (smtp) app.addHook('onClose', async () => smtp.close());

  const payments = createPaymentGateway(
    config,
    db,
    (event) => applyGatewayEvent(db, payments.gateway, event, 'local'),
    // Like Stripe's invoice.created draft window: the ended period's overage joins the renewal invoice.
    (subscription) => closeUsagePeriods(db, payments.gateway, { customerId: subscription.customerId, now: subscription.currentPeriodEnd }),
  );
  app.decorate('payments', payments);
  // The built-in durable workflow engine (decision 007), on the API's database.
  // CBP's own workflows (cbp-workflows.ts) plus the ones a caller (tests) registers.
  if (config.CBP_TEST_CRASH_AT && config.NODE_ENV === 'production') throw new Error('CBP_TEST_CRASH_AT is a test hook: refused with NODE_ENV=production');
  const txtLookup = createTxtLookup(config.DNS_RESOLVER); // domain verification (DNS_RESOLVER)
  // Object storage (OBJECT_STORAGE: disk under CBP_DATA_DIR, or an S3-compatible bucket for several copies).
  // Closed after the engine (onClose hooks run last-added first): no step is using it then.
  const storage = await createObjectStorage(config);
  app.addHook('onClose', async () => storage.close());
  const definitions = [
    ...cbpWorkflows({ db, gateway: payments.gateway, local: payments.local, sender: smtp, crashAt: config.CBP_TEST_CRASH_AT, invitations, txtLookup, notificationMail, storage }),
    ...workflows,
  ];
  // With TEMPORAL_ADDRESS the same definitions run on Temporal (decision 008; loaded only then).
  const engine: WorkflowEngine = config.TEMPORAL_ADDRESS
    ? (await import('./adapters/workflows/temporal/engine.js')).createTemporalWorkflowEngine({
        address: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflows: definitions,
        worker: config.TEMPORAL_WORKER === 'api' ? { db, logger: app.log } : undefined,
      })
    : createBuiltinWorkflowEngine({
        db,
        workflows: definitions,
        poll: config.WORKFLOW_POLL_INTERVAL_MS > 0,
        pollIntervalMs: config.WORKFLOW_POLL_INTERVAL_MS || undefined,
        leaseMs: config.WORKFLOW_LEASE_MS,
        onRunFailed: publishWorkflowFailure, // workflow.failed domain event, committed with the failure
        logger: app.log,
      });
  app.decorate('workflows', engine);
  app.addHook('onClose', async () => engine.close());
  await app.register(workflowRoutes, { db, engine });
  // The staff console (issue 16): every tenant, provisioning through the workflow engine, suspension.
  await app.register(adminTenantRoutes, { db, engine, gateway: payments.gateway });
  await app.register(organizationRoutes, {
    db,
    engine,
    lookup: txtLookup,
    schedule: { intervalMs: config.DOMAIN_VERIFICATION_INTERVAL_MS, windowMs: config.DOMAIN_VERIFICATION_WINDOW_MS },
  });
  // GDPR export archives (in object storage) and the organization's deletion (issue 15, slice 3).
  await app.register(organizationDataRoutes, {
    db,
    engine,
    storage,
    ttlMs: config.ORGANIZATION_EXPORT_TTL_MS,
    graceMs: config.ORGANIZATION_DELETION_GRACE_MS,
  });
  // Logo images in object storage.
  await app.register(organizationLogoRoutes, { db, storage });
  if (testHooks) await app.register(testHooks.workflowTestHooks, { config, db });
  // Domain events (platform/events.ts): delivered to the notification fan-out; this copy consumes
  // when it runs background work (EVENTS_POLL_INTERVAL_MS, default follows WORKFLOW_POLL_INTERVAL_MS).
  await registerDomainEvents(app, {
    db,
    handlers: [notificationHandler(notificationMail), gatewayCustomerSync(engine, payments.gateway.name), invoiceCustomerSnapshot()],
    pollIntervalMs: config.EVENTS_POLL_INTERVAL_MS ?? (config.WORKFLOW_POLL_INTERVAL_MS > 0 ? 5_000 : 0),
  });
  await app.register(notificationRoutes, {
    db,
    stream: { heartbeatMs: config.NOTIFICATIONS_HEARTBEAT_MS, perUser: config.NOTIFICATIONS_STREAMS_PER_USER },
  });
  await app.register(notificationUnsubscribeRoutes, { db, tokens: notificationMail.tokens, portalUrl });
  await app.register(usageRoutes, { db, gateway: payments.gateway });
  await app.register(billingRoutes, {
    db,
    gateway: payments.gateway,
    // The seller on invoice PDFs; the customer's address/tax id: `customerBillingDetails` (organization profile, issue 15).
    seller: { name: config.INVOICE_SELLER_NAME, addressLines: config.INVOICE_SELLER_ADDRESS, taxId: config.INVOICE_SELLER_TAX_ID ?? null },
    customerBillingDetails: customerBillingDetails(db),
    idempotencyLeaseMs: config.IDEMPOTENCY_LEASE_MS,
  });
  await app.register(webhookRoutes, { db, engine, stripe: payments.stripe, secret: config.STRIPE_WEBHOOK_SECRET });
  await app.register(paymentMethodRoutes, {
    db,
    gateway: payments.gateway,
    local: payments.local,
    publishableKey: config.STRIPE_PUBLISHABLE_KEY ?? null,
    idempotencyLeaseMs: config.IDEMPOTENCY_LEASE_MS,
  });
  // Background work runs as workflows; these timers only start them (cbp-workflows.ts): the billing
  // clock (renewals, trial ends, cancellations) with the local gateway's events, usage period
  // close, audit retention, and mail delivery with SMTP_URL.
  scheduleCbpTriggers(app, {
    db,
    engine,
    local: payments.local,
    smtp: smtp !== null,
    billingClockIntervalMs: localEventIntervalMs,
    periodCloseIntervalMs: config.USAGE_PERIOD_CLOSE_INTERVAL_MS,
    auditRetentionIntervalMs: config.AUDIT_RETENTION_INTERVAL_MS,
    mailIntervalMs: config.MAIL_DELIVERY_INTERVAL_MS,
    digestIntervalMs: config.NOTIFICATION_DIGEST_INTERVAL_MS,
  });

  if (config.embeddedIdentity && signingKeys && cookieSecret) {
    await registerBuiltinIdentity(app, {
      db,
      issuer: config.issuer,
      audience: config.audience,
      clientId: config.OIDC_CLIENT_ID,
      portalOrigins: portals,
      keys: signingKeys,
      cookieSecret,
      demoLogins: config.demo ? { emails: demoUsers.map((u) => u.email), password: demoPassword } : undefined,
      mailer,
      // Sign-up by verified domain: the organizations' settings and domains decide, the team module makes the account.
      signUp: { organizationsFor: (email) => signupOrganizations(db, email), join: (account, meta) => joinByVerifiedDomain(db, account, meta) },
    });
  }

  return app;
}
