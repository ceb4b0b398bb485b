import type { FastifyInstance } from 'fastify';
import type { LocalGateway } from './adapters/payments/local.js';
import type { PaymentGateway } from './adapters/payments/port.js';
import { mailWorkflows, startMailDeliveries } from './adapters/mail/mail.workflows.js';
import type { SmtpSender } from './adapters/mail/smtp.js';
import type { WorkflowDefinition, WorkflowEngine } from './adapters/workflows/port.js';
import { auditWorkflows, startAuditRetention } from './modules/audit-logs/audit.workflows.js';
import { billingWorkflows, startRenewals, type CrashPoint } from './modules/billing/billing.workflows.js';
import type { NotificationMailDeps } from './modules/notifications/notification-mail.js';
import { notificationWorkflows, startNotificationDigest } from './modules/notifications/notifications.workflows.js';
import { createTxtLookup, type TxtLookup } from './modules/organization/dns.js';
import { organizationWorkflows } from './modules/organization/organization.workflows.js';
import { gatewayCustomerSyncWorkflows } from './modules/organization/organization-billing-details.js';
import { organizationDeletionWorkflows } from './modules/organization/organization.deletion.js';
import { organizationExportWorkflows } from './modules/organization/organization.export.js';
import type { InvitationDeps } from './modules/team/invitations.service.js';
import { tenantWorkflows } from './modules/tenants/tenant-provisioning.js';
import { cardExpiryWorkflows, startCardExpiryCheck } from './modules/payment-methods/card-expiry.workflows.js';
import { startPeriodCloses, usageWorkflows } from './modules/usage/usage.workflows.js';
import type { ObjectStorage } from './adapters/storage/port.js';
import type { AppDb } from './platform/db.js';
import { scheduleJob } from './platform/jobs.js';

// CBP's own workflows (issue 13) and the timers that start them. The table of workflows (type,
// scope, trigger, steps, workflow id) is in docs/ARCHITECTURE.md, Workflows.

export interface CbpWorkflowDeps {
  db: AppDb;
  gateway: PaymentGateway;
  local: LocalGateway | null;
  /** With SMTP_URL: mail is delivered by the `mail.delivery` workflow. */
  sender: SmtpSender | null;
  /** Crash test hook (CBP_TEST_CRASH_AT). */
  crashAt?: CrashPoint | 'export-after-archive' | undefined;
  /** The email channel of notifications: with it, the daily digest (`notifications.digest`) is registered. */
  notificationMail?: NotificationMailDeps;
  /**
   * Tenant provisioning invites the owner (mail through the outbox) with these settings; without
   * them `tenant.provision` is not registered (a worker that runs no provisioning).
   */
  invitations?: InvitationDeps;
  /** DNS TXT lookups of domain verification (DNS_RESOLVER); default: the system's resolvers. */
  txtLookup?: TxtLookup;
  /** Object storage: GDPR export archives (organization.export), deleted organizations' audit archives and their logos and archives to remove (organization.deletion). Unset in the Temporal sandbox (steps never run there). */
  storage?: ObjectStorage;
}

/** Every definition CBP's engine runs (the app adds the ones tests register). */
export function cbpWorkflows(deps: CbpWorkflowDeps): WorkflowDefinition[] {
  return [
    ...billingWorkflows({ ...deps, crashAt: deps.crashAt === 'renewal-after-invoice' ? deps.crashAt : undefined }),
    ...usageWorkflows(deps),
    ...auditWorkflows(),
    ...cardExpiryWorkflows(),
    ...organizationWorkflows({ db: deps.db, lookup: deps.txtLookup ?? createTxtLookup(undefined) }),
    ...gatewayCustomerSyncWorkflows({ db: deps.db, gateway: deps.gateway }),
    ...organizationExportWorkflows({ db: deps.db, storage: deps.storage, billing: { db: deps.db, gateway: deps.gateway }, crashAfterArchive: deps.crashAt === 'export-after-archive' }),
    ...organizationDeletionWorkflows({ db: deps.db, gateway: deps.gateway, storage: deps.storage }),
    ...(deps.invitations ? tenantWorkflows({ db: deps.db, gateway: deps.gateway, invitations: deps.invitations }) : []),
    ...(deps.sender ? mailWorkflows({ db: deps.db, sender: deps.sender }) : []),
    ...(deps.notificationMail ? notificationWorkflows(deps.notificationMail) : []),
  ];
}

export interface TriggerSettings {
  db: AppDb;
  engine: WorkflowEngine;
  local: LocalGateway | null;
  smtp: boolean;
  /** Billing clock trigger and local gateway event delivery (ms); 0: off. */
  billingClockIntervalMs: number;
  periodCloseIntervalMs: number;
  auditRetentionIntervalMs: number;
  mailIntervalMs: number;
  /** How often the daily notification digest of the last ended UTC day is started (ms); 0 or unset: off. */
  digestIntervalMs?: number;
}

/**
 * The per-process timers (platform/jobs.ts) now only find work with a cheap query and start its
 * workflow under a deterministic workflow id: with several API copies, the second start of an
 * id is a no-op (unique per tenant and workflow id), and whichever engine claims the run does
 * the work once. The runs are recorded and visible in `GET /workflows`.
 */
export function scheduleCbpTriggers(app: FastifyInstance, s: TriggerSettings): void {
  const { db, engine, local } = s;
  if (local) {
    // The local gateway's billing clock: each live subscription period gets its renewal run; the
    // gateway's queued events (its stand-in for Stripe's webhooks) are delivered on the same tick.
    scheduleJob(
      app,
      'billing-clock',
      s.billingClockIntervalMs,
      async () => ({ renewalsStarted: await startRenewals(db, engine), eventsDelivered: await local.deliverEvents() }),
      { firstRunMs: Math.min(1_000, s.billingClockIntervalMs) },
    );
  }
  scheduleJob(app, 'usage-period-close', s.periodCloseIntervalMs, () => startPeriodCloses(db, engine), {
    firstRunMs: Math.min(1_000, s.periodCloseIntervalMs),
  });
  scheduleJob(app, 'audit-retention', s.auditRetentionIntervalMs, () => startAuditRetention(db, engine), {
    firstRunMs: Math.min(10_000, s.auditRetentionIntervalMs),
  });
  // One "card expiring soon" run per UTC day, checked with the other daily housekeeping.
  scheduleJob(app, 'card-expiry', s.auditRetentionIntervalMs, () => startCardExpiryCheck(engine), {
    firstRunMs: Math.min(10_000, s.auditRetentionIntervalMs),
  });
  if (s.smtp) {
    scheduleJob(app, 'mail-delivery', s.mailIntervalMs, () => startMailDeliveries(db, engine), { firstRunMs: Math.min(500, s.mailIntervalMs) });
  }
  if (s.digestIntervalMs) {
    scheduleJob(app, 'notification-digest', s.digestIntervalMs, () => startNotificationDigest(engine), { firstRunMs: Math.min(30_000, s.digestIntervalMs) });
  }
}
