import { bigint, boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { InvoiceCustomer, MetricLimit } from '@cbp/contracts';

// Mirrors migrations/*.sql (the SQL files are the source of truth for the database).

const createdAt = timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const plans = pgTable('plans', {
  id: uuid('id').primaryKey().defaultRandom(),
  key: text('key').notNull(),
  name: text('name').notNull(),
  tier: text('tier', { enum: ['free', 'starter', 'pro', 'enterprise'] }).notNull(),
  priceMonthly: integer('price_monthly').notNull(),
  currency: text('currency').notNull(),
  interval: text('interval', { enum: ['month', 'year'] }).notNull(),
  features: jsonb('features').$type<string[]>().notNull(),
  limits: jsonb('limits').$type<Record<string, MetricLimit>>().notNull(),
  sortOrder: integer('sort_order').notNull(),
  /** How long the tenant's audit trail is kept (the retention job removes older entries). */
  auditRetentionDays: integer('audit_retention_days').notNull(),
  createdAt,
});

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  slug: text('slug').notNull(),
  status: text('status', { enum: ['active', 'suspended', 'pending_deletion'] }).notNull(),
  planId: uuid('plan_id'),
  createdAt,
  /** Set while status is pending_deletion (migration 0034). */
  deletionScheduledAt: timestamp('deletion_scheduled_at', { withTimezone: true, mode: 'date' }),
  deletionRequestedBy: uuid('deletion_requested_by'),
  /** Set while status is suspended (migration 0037). */
  suspendedReason: text('suspended_reason'),
  suspendedAt: timestamp('suspended_at', { withTimezone: true, mode: 'date' }),
  suspendedBy: uuid('suspended_by'),
});

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull(),
  name: text('name').notNull(),
  passwordHash: text('password_hash'),
  externalSubject: text('external_subject'),
  platformRole: text('platform_role', { enum: ['super_admin'] }),
  status: text('status', { enum: ['active', 'disabled'] }).notNull(),
  createdAt,
});

export const tenantMemberships = pgTable('tenant_memberships', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  userId: uuid('user_id').notNull(),
  role: text('role', { enum: ['analyst', 'engineer', 'admin', 'owner'] }).notNull(),
  status: text('status', { enum: ['active', 'suspended'] }).notNull(),
  invitedBy: uuid('invited_by'),
  createdAt,
});

export const subscriptions = pgTable('subscriptions', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  planId: uuid('plan_id').notNull(),
  status: text('status', { enum: ['trialing', 'active', 'past_due', 'canceled', 'incomplete'] }).notNull(),
  currentPeriodStart: timestamp('current_period_start', { withTimezone: true }).notNull(),
  currentPeriodEnd: timestamp('current_period_end', { withTimezone: true }).notNull(),
  cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull(),
  trialEnd: timestamp('trial_end', { withTimezone: true }),
  gatewaySubscriptionId: text('gateway_subscription_id'),
  gatewaySyncedAt: timestamp('gateway_synced_at', { withTimezone: true }),
  createdAt,
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const auditLogs = pgTable('audit_logs', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id'),
  actorType: text('actor_type', { enum: ['user', 'system', 'api_key'] }).notNull(),
  actorId: uuid('actor_id'),
  actorEmail: text('actor_email'),
  action: text('action').notNull(),
  targetType: text('target_type').notNull(),
  targetId: text('target_id'),
  targetName: text('target_name'),
  before: jsonb('before').$type<Record<string, unknown>>(),
  after: jsonb('after').$type<Record<string, unknown>>(),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
  ipAddress: text('ip_address'),
  userAgent: text('user_agent'),
  createdAt,
  // set by the database (migrations/0007_audit_hash_chain.sql)
  seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
  prevHash: text('prev_hash'),
  hash: text('hash'),
});

export const oidcPayloads = pgTable('oidc_payloads', {
  kind: text('kind').notNull(),
  id: text('id').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  grantId: text('grant_id'),
  userCode: text('user_code'),
  uid: text('uid'),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  consumedAt: timestamp('consumed_at', { withTimezone: true }),
});

/** Sign-in throttling per (account email, client address): migration 0018. */
export const loginThrottle = pgTable(
  'login_throttle',
  {
    email: text('email').notNull(),
    ipAddress: text('ip_address').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAllowedAt: timestamp('next_allowed_at', { withTimezone: true }).notNull().defaultNow(),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.email, t.ipAddress] })],
);

/** Coarse per-address sign-in limit against password spraying: migration 0018. */
export const loginAddressThrottle = pgTable('login_address_throttle', {
  ipAddress: text('ip_address').primaryKey(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull().defaultNow(),
  attempts: integer('attempts').notNull().default(0),
});

export const billingCustomers = pgTable('billing_customers', {
  tenantId: uuid('tenant_id').primaryKey(),
  gateway: text('gateway', { enum: ['stripe', 'local'] }).notNull(),
  customerId: text('customer_id').notNull(),
  createdAt,
});

export const invoices = pgTable('invoices', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  gatewayInvoiceId: text('gateway_invoice_id').notNull(),
  number: text('number').notNull(),
  status: text('status', { enum: ['draft', 'open', 'paid', 'void', 'uncollectible'] }).notNull(),
  currency: text('currency').notNull(),
  subtotal: integer('subtotal').notNull(),
  amountDue: integer('amount_due').notNull(),
  amountPaid: integer('amount_paid').notNull(),
  periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
  periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
  dueDate: timestamp('due_date', { withTimezone: true }),
  paidAt: timestamp('paid_at', { withTimezone: true }),
  gatewaySyncedAt: timestamp('gateway_synced_at', { withTimezone: true }),
  /** Migration 0040: the customer as billed, written once at issue (`recordInvoiceCustomer`). */
  customer: jsonb('customer').$type<InvoiceCustomer>(),
  createdAt,
});

export const invoiceLines = pgTable('invoice_lines', {
  id: uuid('id').primaryKey().defaultRandom(),
  invoiceId: uuid('invoice_id').notNull(),
  tenantId: uuid('tenant_id').notNull(),
  position: integer('position').notNull(),
  kind: text('kind', { enum: ['subscription', 'usage', 'proration', 'adjustment'] }).notNull(),
  description: text('description').notNull(),
  metricType: text('metric_type'),
  /** Priced units billed (0031): amount = quantity x unitAmount (CHECK). */
  quantity: bigint('quantity', { mode: 'number' }).notNull(),
  unitAmount: integer('unit_amount').notNull(),
  /** Metered units in one priced unit; used/included: what a usage line's period used and the plan included (0031). */
  unitSize: bigint('unit_size', { mode: 'number' }).notNull().default(1),
  usedQuantity: bigint('used_quantity', { mode: 'number' }),
  includedQuantity: bigint('included_quantity', { mode: 'number' }),
  amount: integer('amount').notNull(),
  periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
  periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
});

export const webhookEvents = pgTable('webhook_events', {
  id: text('id').primaryKey(),
  source: text('source').notNull(),
  type: text('type').notNull(),
  outcome: text('outcome').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Verified Stripe webhooks awaiting (or past) their `billing.stripe-event` workflow (migration 0022). */
export const stripeEventInbox = pgTable('stripe_event_inbox', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

export const localGatewayObjects = pgTable('local_gateway_objects', {
  id: text('id').primaryKey(),
  object: text('object').notNull(),
  customerId: text('customer_id'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  createdAt,
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const paymentMethods = pgTable('payment_methods', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  gatewayPaymentMethodId: text('gateway_payment_method_id').notNull(),
  type: text('type', { enum: ['card', 'us_bank_account', 'sepa_debit'] }).notNull(),
  cardBrand: text('card_brand'),
  cardLast4: text('card_last4'),
  cardExpMonth: integer('card_exp_month'),
  cardExpYear: integer('card_exp_year'),
  /** The expiry ('YYYY-MM') a "card expiring" event was published for (migration 0036). */
  expiryNotifiedFor: text('expiry_notified_for'),
  cardFunding: text('card_funding', { enum: ['credit', 'debit', 'prepaid', 'unknown'] }),
  cardFingerprint: text('card_fingerprint'),
  bankName: text('bank_name'),
  bankLast4: text('bank_last4'),
  billingName: text('billing_name'),
  billingEmail: text('billing_email'),
  isDefault: boolean('is_default').notNull(),
  createdAt,
});

export const idempotencyKeys = pgTable('idempotency_keys', {
  tenantId: uuid('tenant_id').notNull(),
  scope: text('scope').notNull(),
  key: text('key').notNull(),
  requestHash: text('request_hash').notNull(),
  statusCode: integer('status_code'),
  response: jsonb('response').$type<unknown>(),
  /** While `status_code` is null: the claim's lease; an expired claim is taken over by a retry. */
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  /** Counts takeovers; completions are fenced by it. */
  attempt: integer('attempt').notNull().default(1),
  createdAt,
});

const tenantRoleColumn = (name: string) => text(name, { enum: ['analyst', 'engineer', 'admin', 'owner'] });

export const userInvitations = pgTable('user_invitations', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  email: text('email').notNull(),
  role: tenantRoleColumn('role').notNull(),
  message: text('message'),
  tokenHash: text('token_hash').notNull(),
  status: text('status', { enum: ['pending', 'accepted', 'revoked'] }).notNull(),
  invitedBy: uuid('invited_by'),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  lastSentAt: timestamp('last_sent_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  sendCount: integer('send_count').notNull(),
  acceptedAt: timestamp('accepted_at', { withTimezone: true, mode: 'date' }),
  acceptedUserId: uuid('accepted_user_id'),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  createdAt,
});

export const mailOutbox = pgTable('mail_outbox', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id'),
  toAddress: text('to_address').notNull(),
  subject: text('subject').notNull(),
  bodyText: text('body_text').notNull(),
  // HTML alternative and extra headers (List-Unsubscribe...) of notification mail (migration 0029).
  bodyHtml: text('body_html'),
  headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
  kind: text('kind').notNull(),
  status: text('status', { enum: ['captured', 'queued', 'sent', 'failed'] }).notNull(),
  attempts: integer('attempts').notNull(),
  lastError: text('last_error'),
  createdAt,
  sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
});

export const usageQuotas = pgTable('usage_quotas', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  metricType: text('metric_type').notNull(),
  includedQuantity: bigint('included_quantity', { mode: 'number' }).notNull(),
  softLimit: bigint('soft_limit', { mode: 'number' }),
  hardLimit: bigint('hard_limit', { mode: 'number' }),
  overagePrice: integer('overage_price').notNull(),
  overageUnit: integer('overage_unit').notNull(),
  currency: text('currency').notNull(),
  resetPeriod: text('reset_period', { enum: ['monthly'] }).notNull(),
  periodStart: timestamp('period_start', { withTimezone: true, mode: 'date' }).notNull(),
  periodEnd: timestamp('period_end', { withTimezone: true, mode: 'date' }).notNull(),
  currentUsage: bigint('current_usage', { mode: 'number' }).notNull(),
  currentEvents: bigint('current_events', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const usageSummaries = pgTable('usage_summaries', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  metricType: text('metric_type').notNull(),
  periodStart: timestamp('period_start', { withTimezone: true, mode: 'date' }).notNull(),
  periodEnd: timestamp('period_end', { withTimezone: true, mode: 'date' }).notNull(),
  totalQuantity: bigint('total_quantity', { mode: 'number' }).notNull(),
  includedQuantity: bigint('included_quantity', { mode: 'number' }).notNull(),
  overageQuantity: bigint('overage_quantity', { mode: 'number' }).notNull(),
  overageAmount: bigint('overage_amount', { mode: 'number' }).notNull(),
  currency: text('currency').notNull(),
  eventCount: bigint('event_count', { mode: 'number' }).notNull(),
  closedAt: timestamp('closed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  invoiceItemId: text('invoice_item_id'),
  invoicedAt: timestamp('invoiced_at', { withTimezone: true, mode: 'date' }),
});

export const usageAlerts = pgTable('usage_alerts', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  metricType: text('metric_type').notNull(),
  threshold: text('threshold', { enum: ['soft_limit', 'hard_limit', 'projected_overage'] }).notNull(),
  severity: text('severity', { enum: ['warning', 'critical'] }).notNull(),
  periodStart: timestamp('period_start', { withTimezone: true, mode: 'date' }).notNull(),
  currentUsage: bigint('current_usage', { mode: 'number' }).notNull(),
  limitValue: bigint('limit_value', { mode: 'number' }),
  status: text('status', { enum: ['pending', 'delivered'] }).notNull(),
  createdAt,
});

export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  keyHash: text('key_hash').notNull(),
  scopes: text('scopes').array().notNull(),
  createdBy: uuid('created_by'),
  createdAt,
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
});

export const schema = {
  usageSummaries,
  usageAlerts,
  apiKeys,
  usageQuotas,
  userInvitations,
  mailOutbox,
  plans,
  tenants,
  users,
  tenantMemberships,
  subscriptions,
  auditLogs,
  oidcPayloads,
  loginThrottle,
  loginAddressThrottle,
  billingCustomers,
  invoices,
  invoiceLines,
  webhookEvents,
  localGatewayObjects,
  paymentMethods,
  idempotencyKeys,
};
export type Schema = typeof schema;

// Built-in workflow engine (migration 0021; src/adapters/workflows/builtin.ts).
export const workflowRuns = pgTable('workflow_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id'),
  workflowId: text('workflow_id').notNull(),
  type: text('type').notNull(),
  status: text('status', { enum: ['running', 'completed', 'failed', 'cancelled', 'timed_out'] }).notNull(),
  input: jsonb('input').notNull(),
  result: jsonb('result'),
  attempt: integer('attempt').notNull().default(1),
  cancelRequested: boolean('cancel_requested').notNull().default(false),
  failedStep: text('failed_step'),
  errorMessage: text('error_message'),
  errorStack: text('error_stack'),
  wakeAt: timestamp('wake_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  lockedBy: text('locked_by'),
  lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
  createdAt,
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  closedAt: timestamp('closed_at', { withTimezone: true, mode: 'date' }),
});

export const workflowSteps = pgTable(
  'workflow_steps',
  {
    runId: uuid('run_id').notNull(),
    tenantId: uuid('tenant_id'),
    name: text('name').notNull(),
    seq: integer('seq').notNull(),
    kind: text('kind', { enum: ['local', 'remote', 'sleep'] }).notNull(),
    status: text('status', { enum: ['running', 'waiting', 'completed', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    wakeAt: timestamp('wake_at', { withTimezone: true, mode: 'date' }),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    result: jsonb('result'),
    lastErrorMessage: text('last_error_message'),
    lastErrorStack: text('last_error_stack'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.name] })],
);

// Local-step results of the Temporal adapter (migration 0023; src/adapters/workflows/temporal/).
export const workflowStepResults = pgTable('workflow_step_results', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  tenantId: uuid('tenant_id'),
  result: jsonb('result').notNull(),
  createdAt,
});

// Domain events and notifications (migration 0025; src/platform/events.ts, modules/notifications).
export const domainEvents = pgTable('domain_events', {
  id: uuid('id').primaryKey().defaultRandom(),
  seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
  tenantId: uuid('tenant_id').notNull(),
  type: text('type').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  lastError: text('last_error'),
});

export const domainEventDeliveries = pgTable(
  'domain_event_deliveries',
  {
    eventId: uuid('event_id').notNull(),
    handler: text('handler').notNull(),
    tenantId: uuid('tenant_id').notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.handler] })],
);

export const notifications = pgTable('notifications', {
  id: uuid('id').primaryKey().defaultRandom(),
  // The stream's event id (migration 0030): monotonic, in commit order within a tenant.
  seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
  tenantId: uuid('tenant_id').notNull(),
  userId: uuid('user_id').notNull(),
  eventId: uuid('event_id').notNull(),
  type: text('type').notNull(),
  severity: text('severity', { enum: ['info', 'warning', 'critical'] }).notNull(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  link: text('link').notNull(),
  inApp: boolean('in_app').notNull(),
  emailed: boolean('emailed').notNull(),
  // Email held back for the recipient's daily digest (migration 0029).
  digest: boolean('digest').notNull().default(false),
  readAt: timestamp('read_at', { withTimezone: true, mode: 'date' }),
  createdAt,
});

/** A user's in-app inbox counts, kept by triggers on `notifications` (migration 0035). */
export const notificationCounters = pgTable('notification_counters', {
  tenantId: uuid('tenant_id').notNull(),
  userId: uuid('user_id').notNull(),
  total: bigint('total', { mode: 'number' }).notNull(),
  unread: bigint('unread', { mode: 'number' }).notNull(),
});

export const notificationSettings = pgTable(
  'notification_settings',
  {
    tenantId: uuid('tenant_id').notNull(),
    userId: uuid('user_id').notNull(),
    channels: jsonb('channels').$type<{ inApp?: boolean; email?: boolean }>().notNull(),
    types: jsonb('types').$type<Record<string, { inApp?: boolean; email?: boolean }>>().notNull(),
    digest: boolean('digest').notNull().default(false),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] })],
);

// One daily digest per member, organization and UTC day (migration 0029): the key that makes a
// repeated digest run send nothing twice (notifications.workflows.ts).
export const notificationDigests = pgTable(
  'notification_digests',
  {
    tenantId: uuid('tenant_id').notNull(),
    userId: uuid('user_id').notNull(),
    day: text('day').notNull(),
    notifications: integer('notifications').notNull(),
    createdAt,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId, t.day] })],
);

// The version of what authentication caches (migration 0026; src/platform/auth.ts): bumped by
// triggers in the transaction of any membership, role, tenant status, user or API key change.
export const authEpoch = pgTable('auth_epoch', {
  id: integer('id').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull(),
});

// Organization profile, settings and domains (migration 0028; modules/organization). The name
// stays in tenants.name; a missing profile or settings row means the defaults.
const orgTimestamp = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const organizationProfiles = pgTable('organization_profiles', {
  tenantId: uuid('tenant_id').primaryKey(),
  legalName: text('legal_name'),
  billingEmail: text('billing_email'),
  addressLine1: text('address_line1'),
  addressLine2: text('address_line2'),
  addressCity: text('address_city'),
  addressPostalCode: text('address_postal_code'),
  addressRegion: text('address_region'),
  addressCountry: text('address_country'),
  taxId: text('tax_id'),
  website: text('website'),
  updatedAt: orgTimestamp('updated_at').notNull().defaultNow(),
});

export const organizationSettings = pgTable('organization_settings', {
  tenantId: uuid('tenant_id').primaryKey(),
  timezone: text('timezone').notNull(),
  locale: text('locale').notNull(),
  dateFormat: text('date_format', { enum: ['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'DD.MM.YYYY'] }).notNull(),
  sessionTimeoutMinutes: integer('session_timeout_minutes').notNull(),
  mfaRequired: boolean('mfa_required').notNull(),
  allowedSignupDomains: text('allowed_signup_domains').array().notNull(),
  defaultRole: text('default_role', { enum: ['analyst', 'engineer', 'admin'] }).notNull(),
  updatedAt: orgTimestamp('updated_at').notNull().defaultNow(),
});

export const organizationDomains = pgTable('organization_domains', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  domain: text('domain').notNull(),
  status: text('status', { enum: ['pending', 'verified', 'failed'] }).notNull(),
  token: text('token').notNull(),
  createdAt,
  lastCheckedAt: orgTimestamp('last_checked_at'),
  lastCheckMessage: text('last_check_message'),
  verifiedAt: orgTimestamp('verified_at'),
  failureReason: text('failure_reason'),
});

/** Devices seen at a user's built-in sign-ins (migration 0027): hash of UA family + network. */
export const knownDevices = pgTable(
  'known_devices',
  {
    userId: uuid('user_id').notNull(),
    deviceHash: text('device_hash').notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceHash] })],
);

/** The device of each built-in provider session, by the session's uid (migration 0027). */
export const userSessions = pgTable('user_sessions', {
  sessionUid: text('session_uid').primaryKey(),
  userId: uuid('user_id').notNull(),
  userAgent: text('user_agent'),
  ipAddress: text('ip_address'),
  createdAt,
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** The organization's logo (migration 0033): which stored object it is (platform/object-storage.ts). */
export const organizationLogos = pgTable('organization_logos', {
  tenantId: uuid('tenant_id').primaryKey(),
  storageKey: text('storage_key').notNull(),
  etag: text('etag').notNull(),
  contentType: text('content_type').notNull(),
  sizeBytes: integer('size_bytes').notNull(),
  width: integer('width').notNull(),
  height: integer('height').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** GDPR export archives (migration 0034): the zip under CBP_DATA_DIR/<file_key>. */
export const organizationExports = pgTable('organization_exports', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: uuid('tenant_id').notNull(),
  workflowId: text('workflow_id').notNull(),
  status: text('status', { enum: ['running', 'ready', 'failed', 'expired'] }).notNull(),
  sizeBytes: bigint('size_bytes', { mode: 'number' }),
  fileKey: text('file_key'),
  requestedBy: uuid('requested_by'),
  createdAt,
  completedAt: timestamp('completed_at', { withTimezone: true, mode: 'date' }),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/** Migration 0032: when a role was taken from an identity subject (tokens issued before it no longer carry it). */
export const identityRoleRevocations = pgTable(
  'identity_role_revocations',
  {
    subject: text('subject').notNull(),
    role: text('role').notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.subject, t.role] })],
);

/** Migration 0038: when a staff user's access to a tenant was last recorded in its audit trail. */
export const staffAccessMarks = pgTable(
  'staff_access_marks',
  {
    tenantId: uuid('tenant_id').notNull(),
    userId: uuid('user_id').notNull(),
    lastRecordedAt: timestamp('last_recorded_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] })],
);

/** Migration 0039: "Forgot password?" links of the built-in provider (only the token's SHA-256 is kept). */
export const passwordResetTokens = pgTable('password_reset_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt,
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
});

/** Migration 0039: sign-ups of the built-in provider waiting for their email to be confirmed. */
export const signupVerifications = pgTable('signup_verifications', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt,
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
});

/** Migration 0042: per tenant and resource, a token replaced at the commit of every change to its rows (read caches check it). */
export const tenantReadVersions = pgTable(
  'tenant_read_versions',
  {
    tenantId: uuid('tenant_id').notNull(),
    resource: text('resource').notNull(),
    version: uuid('version').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.resource] })],
);

/** Migration 0041: the TOTP authenticator of an account at the built-in provider (secret encrypted, see builtin/mfa.ts). */
export const userTotp = pgTable('user_totp', {
  userId: uuid('user_id').primaryKey(),
  secretEncrypted: text('secret_encrypted').notNull(),
  createdAt,
  confirmedAt: timestamp('confirmed_at', { withTimezone: true, mode: 'date' }),
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
});

/** Migration 0041: one-time recovery codes of an authenticator (SHA-256 only). */
export const userRecoveryCodes = pgTable('user_recovery_codes', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull(),
  codeHash: text('code_hash').notNull(),
  createdAt,
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
});
