import { metricNames, notificationTypes, type MetricType, type NotificationType } from '@cbp/contracts';

/**
 * Title, body and link of a notification from its event's payload: plain sentences, stored on the
 * notification row (in-app) and put into the mail by the Eta templates (templates/email-templates.ts),
 * which escape them in the HTML part: payload values (member names, key names) are user input.
 */
export interface NotificationText {
  title: string;
  body: string;
  link: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null);
const fmt = (n: number | null) => (n === null ? '?' : n.toLocaleString('en-US'));

function metric(payload: Record<string, unknown>): string {
  const m = str(payload.metricType);
  return m && Object.hasOwn(metricNames, m) ? metricNames[m as MetricType].name : (m ?? 'A metric');
}

function money(payload: Record<string, unknown>): string {
  const amount = num(payload.amountDue);
  const currency = str(payload.currency)?.toUpperCase() ?? '';
  return amount === null ? '' : ` of ${(amount / 100).toFixed(2)} ${currency}`.trimEnd();
}

const invoiceNumber = (payload: Record<string, unknown>) => (str(payload.number) ? ` ${str(payload.number)}` : '');

export function describeEvent(type: NotificationType, payload: Record<string, unknown>): NotificationText {
  const info = notificationTypes[type];
  const who = str(payload.email) ?? str(payload.name) ?? 'A member';
  let body: string;
  let link: string = info.link;
  switch (type) {
    case 'quota.soft_limit_crossed':
      body = `${metric(payload)} reached ${fmt(num(payload.currentUsage))}, over the soft limit of ${fmt(num(payload.limit))} this period.`;
      break;
    case 'quota.hard_limit_crossed':
      body = `${metric(payload)} reached its hard limit of ${fmt(num(payload.limit))}: further usage is refused until the period resets or the limit is raised.`;
      break;
    case 'quota.overage_projected':
      body = `${metric(payload)} is on course to exceed the ${fmt(num(payload.limit))} included this period (${fmt(num(payload.currentUsage))} so far): overage will be billed.`;
      break;
    case 'payment.failed':
      body = `Invoice${invoiceNumber(payload)}${money(payload)} could not be paid. Update the payment method to avoid interruption.`;
      if (str(payload.invoiceId)) link = `/billing/invoices/${str(payload.invoiceId)}`;
      break;
    case 'invoice.issued':
      body = `Invoice${invoiceNumber(payload)}${money(payload)} was issued.`;
      if (str(payload.invoiceId)) link = `/billing/invoices/${str(payload.invoiceId)}`;
      break;
    case 'card.expiring':
      body = `The card ending in ${str(payload.last4) ?? '????'} expires soon. Add another payment method.`;
      break;
    case 'invitation.accepted':
      // The same event when someone joins by signing up with an address of a verified domain (issue 15).
      body =
        payload.via === 'verified_domain'
          ? `${who} signed up with an address of the verified domain ${str(payload.domain) ?? '?'} and joined as ${str(payload.role) ?? 'member'}.`
          : `${who} accepted the invitation and joined as ${str(payload.role) ?? 'member'}.`;
      break;
    case 'member.role_changed':
      body = `${who} is now ${str(payload.toRole) ?? '?'} (was ${str(payload.fromRole) ?? '?'}).`;
      break;
    case 'member.removed':
      body = `${who} ${payload.left === true ? 'left' : 'was removed from'} the organization.`;
      break;
    case 'ownership.transferred':
      body = `${str(payload.toEmail) ?? 'Another member'} is now the owner of the organization (was ${str(payload.fromEmail) ?? '?'}).`;
      break;
    case 'workflow.failed':
      body = `The workflow ${str(payload.workflowType) ?? '?'} failed${str(payload.step) ? ` at step ${str(payload.step)}` : ''}: ${str(payload.error) ?? 'unknown error'}`;
      if (str(payload.runId)) link = `/workflows/${str(payload.runId)}`;
      break;
    case 'export.ready':
      body = 'Your export is ready to download.';
      break;
    case 'auth.new_device':
      body = `Your account signed in from ${str(payload.ipAddress) ?? 'a new address'}${str(payload.userAgent) ? ` (${str(payload.userAgent)})` : ''}.`;
      link = '/settings/sessions';
      break;
    case 'api_key.created':
      body = `API key "${str(payload.name) ?? '?'}" was created${str(payload.actorEmail) ? ` by ${str(payload.actorEmail)}` : ''}.`;
      break;
    case 'api_key.revoked':
      body = `API key "${str(payload.name) ?? '?'}" was revoked${str(payload.actorEmail) ? ` by ${str(payload.actorEmail)}` : ''}.`;
      break;
  }
  return { title: info.title, body, link };
}
