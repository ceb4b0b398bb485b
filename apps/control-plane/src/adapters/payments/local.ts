import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { AppDb } from '../../platform/db.js';
import { localGatewayObjects, plans } from '../../platform/schema.js';
import {
  GatewayError,
  type GatewayCustomer,
  type GatewayEvent,
  type GatewaySubscription,
  type PaymentGateway,
  type PlanChangeQuote,
  type QuoteLine,
} from './port.js';
import { addMonth, prorationLines } from './proration.js';

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

interface StoredSubscription extends Omit<GatewaySubscription, 'currentPeriodStart' | 'currentPeriodEnd' | 'trialEnd'> {
  currentPeriodStart: string;
  currentPeriodEnd: string;
  trialEnd: string | null;
}

interface StoredEvent {
  id: string;
  type: 'subscription.updated';
  stripeType: string;
  created: string;
  subscription: StoredSubscription;
  delivered: boolean;
}

interface StoredInvoiceItem {
  id: string;
  subscriptionId: string;
  description: string;
  amount: number;
}

export interface LocalGatewayOptions {
  /** Where the "billing portal" of the local gateway sends people: the portal's billing page. */
  portalUrl: string;
  now?: () => Date;
  /** Receives the events Stripe would send as webhooks (see `deliverEvents`). */
  onEvent?: (event: GatewayEvent) => Promise<unknown>;
}

/**
 * The embedded payment gateway: Stripe's objects and operations kept in the database
 * (`local_gateway_objects`), with Stripe's proration rules, emitting Stripe's events.
 */
export class LocalGateway implements PaymentGateway {
  readonly name = 'local' as const;
  private readonly now: () => Date;

  constructor(
    private readonly db: AppDb,
    private readonly options: LocalGatewayOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  private async load<T>(id: string, object: string): Promise<T> {
    const [row] = await this.db
      .select({ data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.id, id), eq(localGatewayObjects.object, object)))
      .limit(1);
    if (!row) throw new GatewayError('resource_missing', `No such ${object}: '${id}'`, 404);
    return row.data as T;
  }

  private async save(id: string, object: string, customerId: string | null, data: object): Promise<void> {
    await this.db
      .insert(localGatewayObjects)
      .values({ id, object, customerId, data: data as Record<string, unknown> })
      .onConflictDoUpdate({ target: localGatewayObjects.id, set: { data: data as Record<string, unknown>, updatedAt: sql`now()` } });
  }

  private async plan(key: string) {
    const [row] = await this.db.select().from(plans).where(eq(plans.key, key)).limit(1);
    if (!row) throw new GatewayError('resource_missing', `No such price: 'cbp_${key}'`, 404);
    return row;
  }

  private async pendingItems(subscriptionId: string): Promise<StoredInvoiceItem[]> {
    const rows = await this.db
      .select({ data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.object, 'invoiceitem'), sql`${localGatewayObjects.data}->>'subscriptionId' = ${subscriptionId}`))
      .orderBy(localGatewayObjects.createdAt);
    return rows.map((r) => r.data as unknown as StoredInvoiceItem);
  }

  /** Queues the event Stripe would send; `deliverEvents` hands queued events to the listener, like webhooks. */
  private async emit(type: 'subscription.updated', subscription: GatewaySubscription) {
    const id = newId('evt');
    const stored: StoredEvent = {
      id,
      type,
      stripeType: 'customer.subscription.updated',
      created: this.now().toISOString(),
      subscription: fromSubscription(subscription),
      delivered: false,
    };
    await this.save(id, 'event', subscription.customerId, stored);
  }

  /** Delivers queued events in order to the listener; an event whose delivery fails stays queued. */
  async deliverEvents(): Promise<number> {
    const listener = this.options.onEvent;
    if (!listener) return 0;
    const rows = await this.db
      .select({ data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.object, 'event'), sql`(${localGatewayObjects.data}->>'delivered')::boolean = false`))
      .orderBy(localGatewayObjects.createdAt)
      .limit(100);
    for (const { data } of rows) {
      const stored = data as unknown as StoredEvent;
      await listener({
        id: stored.id,
        type: stored.type,
        stripeType: stored.stripeType,
        created: new Date(stored.created),
        subscription: toSubscription(stored.subscription),
      });
      await this.save(stored.id, 'event', stored.subscription.customerId, { ...stored, delivered: true });
    }
    return rows.length;
  }

  async createCustomer({ tenantId, name, email }: { tenantId: string; name: string; email: string | null }): Promise<GatewayCustomer> {
    const [existing] = await this.db
      .select({ data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.object, 'customer'), sql`${localGatewayObjects.data}->'metadata'->>'tenant_id' = ${tenantId}`))
      .limit(1);
    if (existing) return existing.data as unknown as GatewayCustomer;
    const customer = { id: newId('cus'), name, email, metadata: { tenant_id: tenantId } };
    await this.save(customer.id, 'customer', customer.id, customer);
    return customer;
  }

  async createSubscription({ customerId, planKey, trialDays }: { customerId: string; planKey: string; trialDays?: number }) {
    await this.load(customerId, 'customer');
    await this.plan(planKey);
    // Stripe's timestamps are whole seconds.
    const start = new Date(Math.floor(this.now().getTime() / 1000) * 1000);
    const trialEnd = trialDays ? new Date(start.getTime() + trialDays * 86_400_000) : null;
    const stored: StoredSubscription = {
      id: newId('sub'),
      customerId,
      planKey,
      status: trialEnd ? 'trialing' : 'active',
      currentPeriodStart: start.toISOString(),
      currentPeriodEnd: (trialEnd ?? addMonth(start)).toISOString(),
      cancelAtPeriodEnd: false,
      trialEnd: trialEnd?.toISOString() ?? null,
    };
    await this.save(stored.id, 'subscription', customerId, stored);
    const subscription = toSubscription(stored);
    await this.emit('subscription.updated', subscription);
    return subscription;
  }

  private async quote(stored: StoredSubscription, planKey: string, at: Date): Promise<PlanChangeQuote> {
    const [from, to] = [await this.plan(stored.planKey), await this.plan(planKey)];
    const changing = from.key !== to.key && stored.status !== 'trialing';
    const proration = changing
      ? prorationLines(from, to, new Date(stored.currentPeriodStart), new Date(stored.currentPeriodEnd), at)
      : [];
    const pending: QuoteLine[] = (await this.pendingItems(stored.id)).map(({ description, amount }) => ({ description, amount }));
    const periodEnd = new Date(stored.currentPeriodEnd);
    const next: QuoteLine[] = stored.cancelAtPeriodEnd
      ? [...pending, ...proration]
      : [{ description: `${to.name} plan (${periodEnd.toISOString().slice(0, 10)} – ${addMonth(periodEnd).toISOString().slice(0, 10)})`, amount: to.priceMonthly }, ...pending, ...proration];
    return {
      prorationLines: proration,
      nextInvoiceLines: next,
      // A net credit is carried to the customer's balance, never paid out: the amount due floors at 0.
      nextInvoiceAmount: Math.max(0, next.reduce((sum, l) => sum + l.amount, 0)),
      nextInvoiceDate: periodEnd,
      currency: to.currency,
    };
  }

  async previewPlanChange({ subscriptionId, planKey, prorationDate }: { subscriptionId: string; planKey: string; prorationDate: Date }) {
    const stored = await this.load<StoredSubscription>(subscriptionId, 'subscription');
    return this.quote(stored, planKey, prorationDate);
  }

  async changePlan({ subscriptionId, planKey, prorationDate }: { subscriptionId: string; planKey: string; prorationDate: Date }) {
    const stored = await this.load<StoredSubscription>(subscriptionId, 'subscription');
    if (stored.status === 'canceled') throw new GatewayError('subscription_canceled', 'A canceled subscription cannot change plan.', 422);
    const { prorationLines: lines } = await this.quote(stored, planKey, prorationDate);
    for (const line of lines) {
      const item: StoredInvoiceItem = { id: newId('ii'), subscriptionId, ...line };
      await this.save(item.id, 'invoiceitem', stored.customerId, item);
    }
    const updated = { ...stored, planKey };
    await this.save(stored.id, 'subscription', stored.customerId, updated);
    const subscription = toSubscription(updated);
    await this.emit('subscription.updated', subscription);
    return subscription;
  }

  async setCancelAtPeriodEnd({ subscriptionId, cancelAtPeriodEnd }: { subscriptionId: string; cancelAtPeriodEnd: boolean }) {
    const stored = await this.load<StoredSubscription>(subscriptionId, 'subscription');
    if (stored.status === 'canceled') throw new GatewayError('subscription_canceled', 'This subscription has already ended.', 422);
    const updated = { ...stored, cancelAtPeriodEnd };
    await this.save(stored.id, 'subscription', stored.customerId, updated);
    const subscription = toSubscription(updated);
    await this.emit('subscription.updated', subscription);
    return subscription;
  }

  async upcomingInvoice({ subscriptionId }: { subscriptionId: string }) {
    const stored = await this.load<StoredSubscription>(subscriptionId, 'subscription');
    return this.quote(stored, stored.planKey, this.now());
  }

  async createBillingPortalSession(_input: { customerId: string; returnUrl: string }) {
    return { url: `${this.options.portalUrl}/billing` };
  }
}

function toSubscription(s: StoredSubscription): GatewaySubscription {
  return {
    ...s,
    currentPeriodStart: new Date(s.currentPeriodStart),
    currentPeriodEnd: new Date(s.currentPeriodEnd),
    trialEnd: s.trialEnd ? new Date(s.trialEnd) : null,
  };
}

function fromSubscription(s: GatewaySubscription): StoredSubscription {
  return {
    ...s,
    currentPeriodStart: s.currentPeriodStart.toISOString(),
    currentPeriodEnd: s.currentPeriodEnd.toISOString(),
    trialEnd: s.trialEnd?.toISOString() ?? null,
  };
}
