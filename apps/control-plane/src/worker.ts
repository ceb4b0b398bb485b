import path from 'node:path';
import pino from 'pino';
import { createPaymentGateway } from './adapters/payments/index.js';
import { createMailer } from './adapters/mail/port.js';
import { createSmtpSender } from './adapters/mail/smtp.js';
import { createObjectStorage } from './adapters/storage/index.js';
import { createTemporalWorker } from './adapters/workflows/temporal/worker.js';
import { cbpWorkflows } from './cbp-workflows.js';
import { loadConfig } from './config.js';
import { applyGatewayEvent } from './modules/billing/gateway-events.js';
import { createUnsubscribeTokens } from './modules/notifications/unsubscribe-token.js';
import { closeUsagePeriods } from './modules/usage/usage-billing.js';
import { migrate, openDatabase } from './platform/db.js';
import { persistentSecret } from './platform/secrets.js';

// `npm run worker`: a Temporal worker for CBP's workflows, without the HTTP API (decision 008).
// It polls TEMPORAL_TASK_QUEUE in TEMPORAL_NAMESPACE at TEMPORAL_ADDRESS, runs `cbpWorkflow` in
// Temporal's sandbox and the step activities on CBP's database, with the same definitions and
// dependencies (gateway, SMTP) the API builds. Run as many as you like; SIGTERM drains it.

const config = loadConfig();
const log = pino({ level: config.LOG_LEVEL });
if (!config.TEMPORAL_ADDRESS) {
  log.fatal('TEMPORAL_ADDRESS is not set: the worker runs workflows on Temporal only (the built-in engine runs inside the API)');
  process.exit(1);
}

const database = await openDatabase(config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: path.join(config.CBP_DATA_DIR, 'pglite') }, {
  poolSize: config.DATABASE_POOL_SIZE,
  readPoolSize: config.DATABASE_READ_POOL_SIZE,
});
if (config.DATABASE_URL && config.DATABASE_MIGRATION_URL) {
  const owner = await openDatabase({ url: config.DATABASE_MIGRATION_URL });
  await migrate(owner, { appRole: decodeURIComponent(new URL(config.DATABASE_URL).username) });
  await owner.close();
} else {
  await migrate(database);
}
const db = database.db;
const smtp = config.SMTP_URL ? createSmtpSender(config.SMTP_URL, config.MAIL_FROM) : null;
const payments = createPaymentGateway(
  config,
  db,
  (event) => applyGatewayEvent(db, payments.gateway, event, 'local'),
  (subscription) => closeUsagePeriods(db, payments.gateway, { customerId: subscription.customerId, now: subscription.currentPeriodEnd }),
);
// The daily notification digest queues its mail like the API does (same unsubscribe key: NOTIFICATION_TOKEN_SECRET).
const notificationMail = {
  mailer: createMailer(config.SMTP_URL ? 'smtp' : 'outbox'),
  portalUrl: config.portalOrigins[0] ?? config.PUBLIC_URL,
  publicUrl: config.PUBLIC_URL,
  tokens: createUnsubscribeTokens(await persistentSecret(config.CBP_DATA_DIR, 'notification-unsubscribe', config.NOTIFICATION_TOKEN_SECRET)),
};
const workflows = cbpWorkflows({ db, gateway: payments.gateway, local: payments.local, sender: smtp, notificationMail, storage: await createObjectStorage(config) });

const worker = await createTemporalWorker({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  db,
  workflows,
});
log.info({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, workflows: workflows.map((w) => w.type) }, 'Temporal worker running');

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'worker shutting down: finishing activities under way');
  await worker.shutdown().catch((err: unknown) => log.error({ err }, 'worker shutdown failed'));
  smtp?.close();
  await database.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
await worker.done.catch((err: unknown) => {
  log.fatal({ err }, 'Temporal worker failed');
  process.exit(1);
});
