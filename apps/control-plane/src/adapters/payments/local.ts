import { createHash, randomBytes } from 'node:crypto';
import { passesLuhn } from '@cbp/contracts';
import { and, eq, sql } from 'drizzle-orm';
import { queryRows, type AppDb, type Queryable } from '../../platform/db.js';
import { localGatewayObjects, plans } from '../../platform/schema.js';
import {
  GatewayError,
  type CustomerBillingUpdate,
  type GatewayCustomer,
  type GatewayEvent,
  type GatewayInvoice,
  type GatewayInvoiceLine,
  type GatewayPaymentMethod,
  type GatewaySubscription,
  type InvoicePayment,
  type PayInvoiceInput,
  type PaymentGateway,
  type PlanChangeQuote,
  type QuoteLine,
  type UsageInvoiceItem,
} from './port.js';
import { addMonth, prorationLines, shortDate } from './proration.js';
import { attachRefusal, cardOf, chargeRefusal, declineMessages, testCardByNumber, testCardByPaymentMethodId, type CardBehaviour } from './test-cards.js';


const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

interface StoredSubscription extends Omit<GatewaySubscription, 'currentPeriodStart' | 'currentPeriodEnd' | 'trialEnd'> {
  currentPeriodStart: string;
  currentPeriodEnd: string;
  trialEnd: string | null;
}

interface StoredEvent {
  id: string;
  delivered: boolean;
  /** The GatewayEvent as JSON (dates as ISO strings). */
  event: string;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const dateFields = new Set(['created', 'currentPeriodStart', 'currentPeriodEnd', 'trialEnd', 'periodStart', 'periodEnd', 'dueDate', 'paidAt']);

/** A GatewayEvent from its JSON (dates revived). */
export function reviveEvent(json: string): GatewayEvent {
  return JSON.parse(json, (key, value: unknown) =>
    dateFields.has(key) && typeof value === 'string' ? new Date(value) : value,
  ) as GatewayEvent;
}

/**
 * An overage item's line in its priced unit (ceil(over / unitSize) blocks at unitAmount each),
 * or one lump sum when the item does not carry its pricing (items stored before issue 17).
 */
function usagePricing(item: StoredInvoiceItem): Pick<GatewayInvoiceLine, 'quantity' | 'unitAmount' | 'unitSize' | 'usedQuantity' | 'includedQuantity'> {
  const { quantity, unitSize, unitAmount } = item;
  if (quantity !== undefined && unitSize && unitAmount !== undefined && Math.ceil(quantity / unitSize) * unitAmount === item.amount) {
    return { quantity: Math.ceil(quantity / unitSize), unitAmount, unitSize, usedQuantity: item.usedQuantity ?? null, includedQuantity: item.includedQuantity ?? null };
  }
  return { quantity: 1, unitAmount: item.amount, unitSize: 1, usedQuantity: item.usedQuantity ?? null, includedQuantity: item.includedQuantity ?? null };
}

interface StoredInvoiceItem {
  id: string;
  subscriptionId: string;
  description: string;
  amount: number;
  /** Usage overage lines carry their metric and period; prorations have neither. */
  kind?: 'usage';
  metricType?: string;
  quantity?: number;
  usedQuantity?: number;
  includedQuantity?: number;
  unitSize?: number;
  unitAmount?: number;
  periodStart?: string;
  periodEnd?: string;
}

export interface LocalGatewayOptions {
  /** Where the "billing portal" of the local gateway sends people: the portal's billing page. */
  portalUrl: string;
  now?: () => Date;
  /** Receives the events Stripe would send as webhooks (see `deliverEvents`). */
  onEvent?: (event: GatewayEvent) => Promise<unknown>;
  /**
   * Called when a subscription's period ends, before its invoice is drawn up (Stripe's
   * `invoice.created` draft window): usage of the ended period is added here as invoice items.
   */
  beforeRenewal?: (subscription: GatewaySubscription) => Promise<unknown>;
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

  private async load<T>(id: string, object: string, q: Queryable = this.db): Promise<T> {
    const [row] = await q
      .select({ data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.id, id), eq(localGatewayObjects.object, object)))
      .limit(1);
    if (!row) throw new GatewayError('resource_missing', `No such ${object}: '${id}'`, 404);
    return row.data as T;
  }

  private async save(id: string, object: string, customerId: string | null, data: object, q: Queryable = this.db): Promise<void> {
    await q
      .insert(localGatewayObjects)
      .values({ id, object, customerId, data: data as Record<string, unknown> })
      .onConflictDoUpdate({ target: localGatewayObjects.id, set: { data: data as Record<string, unknown>, updatedAt: sql`now()` } });
  }

  private async plan(key: string, q: Queryable = this.db) {
    const [row] = await q.select().from(plans).where(eq(plans.key, key)).limit(1);
    if (!row) throw new GatewayError('resource_missing', `No such price: 'cbp_${key}'`, 404);
    return row;
  }

  private async pendingItems(subscriptionId: string, q: Queryable = this.db): Promise<StoredInvoiceItem[]> {
    const rows = await q
      .select({ data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.object, 'invoiceitem'), sql`${localGatewayObjects.data}->>'subscriptionId' = ${subscriptionId}`))
      .orderBy(localGatewayObjects.createdAt);
    return rows.map((r) => r.data as unknown as StoredInvoiceItem);
  }

  /** Queues the event Stripe would send; `deliverEvents` hands queued events to the listener, like webhooks. */
  private async emit(event: DistributiveOmit<GatewayEvent, 'id' | 'created'>, customerId: string | null, q: Queryable = this.db) {
    const id = newId('evt');
    const stored: StoredEvent = { id, delivered: false, event: JSON.stringify({ ...event, id, created: this.now() }) };
    await this.save(id, 'event', customerId, stored, q);
  }

  /** Delivers queued events in order to the listener; an event whose delivery fails stays queued. */
  async deliverEvents(): Promise<number> {
    const listener = this.options.onEvent;
    if (!listener) return 0;
    const rows = await this.db
      .select({ data: localGatewayObjects.data, customerId: localGatewayObjects.customerId })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.object, 'event'), sql`(${localGatewayObjects.data}->>'delivered')::boolean = false`))
      .orderBy(localGatewayObjects.createdAt, localGatewayObjects.id)
      .limit(100);
    for (const { data, customerId } of rows) {
      const stored = data as unknown as StoredEvent;
      await listener(reviveEvent(stored.event));
      await this.save(stored.id, 'event', customerId, { ...stored, delivered: true });
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
    // Stripe-like invoice numbering: a per-customer prefix (e.g. ACME3F2A) and a sequence.
    const word = (name.split(/\s+/)[0] ?? '').replace(/[^A-Za-z0-9]/g, '').slice(0, 4).toUpperCase() || 'CBP';
    const invoicePrefix = `${word}${randomBytes(2).toString('hex').toUpperCase()}`;
    const customer = { id: newId('cus'), name, email, metadata: { tenant_id: tenantId }, invoicePrefix, nextInvoiceSequence: 1 };
    await this.save(customer.id, 'customer', customer.id, customer);
    return customer;
  }

  /** Keeps name, email, address and tax id on the stored customer (what `customer()` answers). */
  async updateCustomer({ customerId, name, email, address, taxId }: CustomerBillingUpdate): Promise<GatewayCustomer> {
    const customer = await this.load<GatewayCustomer & Record<string, unknown>>(customerId, 'customer');
    const metadata = { ...((customer.metadata as Record<string, string> | undefined) ?? {}), tax_id: taxId ?? '' };
    const updated = { ...customer, name, email, address, metadata };
    await this.save(customerId, 'customer', customerId, updated);
    return { id: customerId, name, email };
  }

  /** Marks the customer deleted and ends its subscriptions at once, like Stripe's `customers.del` (no events: the tenant is going away). */
  async deleteCustomer({ customerId }: { customerId: string }): Promise<void> {
    const rows = await this.db
      .select({ id: localGatewayObjects.id, object: localGatewayObjects.object, data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.customerId, customerId), sql`${localGatewayObjects.object} IN ('customer', 'subscription')`));
    for (const row of rows) {
      if (row.object === 'subscription') {
        const stored = row.data as unknown as StoredSubscription;
        if (stored.status !== 'canceled') await this.save(row.id, 'subscription', customerId, { ...stored, status: 'canceled', cancelAtPeriodEnd: false });
      } else if (row.data.deleted !== true) {
        await this.save(row.id, 'customer', customerId, { ...row.data, deleted: true });
      }
    }
  }

  /** The stored customer as the gateway keeps it (tests and diagnostics). */
  async customer(customerId: string): Promise<GatewayCustomer & { address: CustomerBillingUpdate['address']; metadata: Record<string, string> }> {
    return this.load(customerId, 'customer');
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
    await this.emit({ type: 'subscription.updated', stripeType: 'customer.subscription.updated', subscription }, subscription.customerId);
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
      : [{ description: `${to.name} plan (${shortDate(periodEnd)} – ${shortDate(addMonth(periodEnd))})`, amount: to.priceMonthly }, ...pending, ...proration];
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
    await this.emit({ type: 'subscription.updated', stripeType: 'customer.subscription.updated', subscription }, subscription.customerId);
    return subscription;
  }

  async setCancelAtPeriodEnd({ subscriptionId, cancelAtPeriodEnd }: { subscriptionId: string; cancelAtPeriodEnd: boolean }) {
    const stored = await this.load<StoredSubscription>(subscriptionId, 'subscription');
    if (stored.status === 'canceled') throw new GatewayError('subscription_canceled', 'This subscription has already ended.', 422);
    const updated = { ...stored, cancelAtPeriodEnd };
    await this.save(stored.id, 'subscription', stored.customerId, updated);
    const subscription = toSubscription(updated);
    await this.emit({ type: 'subscription.updated', stripeType: 'customer.subscription.updated', subscription }, subscription.customerId);
    return subscription;
  }

  async upcomingInvoice({ subscriptionId }: { subscriptionId: string }) {
    const stored = await this.load<StoredSubscription>(subscriptionId, 'subscription');
    return this.quote(stored, stored.planKey, this.now());
  }

  async createBillingPortalSession(_input: { customerId: string; returnUrl: string }) {
    return { url: `${this.options.portalUrl}/billing` };
  }

  async createSetupIntent({ customerId }: { customerId: string }) {
    await this.load(customerId, 'customer');
    const id = newId('seti');
    const clientSecret = `${id}_secret_${randomBytes(12).toString('hex')}`;
    await this.save(id, 'setup_intent', customerId, { id, customerId, clientSecret, status: 'requires_payment_method' });
    return { id, clientSecret };
  }

  /**
   * Stripe.js's job in local mode: turns a test card into an unattached PaymentMethod.
   * Only Stripe's documented test numbers are accepted, so no real card is ever stored.
   */
  async createCardPaymentMethod(input: { number: string; expMonth: number; expYear: number; name?: string | null }): Promise<string> {
    const card = testCardByNumber(input.number);
    if (!passesLuhn(input.number)) throw new GatewayError('incorrect_number', 'Your card number is invalid.', 422);
    if (!card) {
      throw new GatewayError('not_a_test_card', 'The local payment gateway accepts Stripe test cards only, such as 4242 4242 4242 4242.', 422);
    }
    const now = this.now();
    if (input.expYear < now.getUTCFullYear() || (input.expYear === now.getUTCFullYear() && input.expMonth < now.getUTCMonth() + 1)) {
      throw new GatewayError('invalid_expiry', "Your card's expiration date is in the past.", 422);
    }
    const stored: StoredPaymentMethod = {
      id: newId('pm'),
      customerId: null,
      type: 'card',
      card: cardOf(card, input.expMonth, input.expYear),
      bankAccount: null,
      billingDetails: { name: input.name ?? null, email: null },
      behaviour: card.behaviour,
    };
    await this.save(stored.id, 'payment_method', null, stored);
    return stored.id;
  }

  private async resolvePaymentMethod(paymentMethodId: string): Promise<StoredPaymentMethod> {
    const testCard = testCardByPaymentMethodId(paymentMethodId);
    if (testCard) {
      // Stripe's test mode clones a test PaymentMethod id into a new method, expiring next year.
      const next = this.now().getUTCFullYear() + 1;
      return {
        id: newId('pm'),
        customerId: null,
        type: 'card',
        card: cardOf(testCard, 12, next),
        bankAccount: null,
        billingDetails: { name: null, email: null },
        behaviour: testCard.behaviour,
      };
    }
    return this.load<StoredPaymentMethod>(paymentMethodId, 'payment_method');
  }

  /** Stripe's idempotency: the first result of a key, replayed for every retry with that key. */
  private async idempotent<T extends object>(customerId: string, key: string): Promise<{ id: string; earlier: T | null }> {
    const id = `idem_${createHash('sha256').update(`${customerId}:${key}`).digest('hex').slice(0, 32)}`;
    const [earlier] = await this.db
      .select({ data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(and(eq(localGatewayObjects.id, id), eq(localGatewayObjects.object, 'idempotency')))
      .limit(1);
    return { id, earlier: earlier ? (earlier.data as T) : null };
  }

  /**
   * Like Stripe, one atomic operation: the attached method, the idempotency record and the
   * `payment_method.attached` event commit together, so a caller that dies mid-call and retries
   * with the same key gets the method attached the first time, never a second copy (Stripe's test
   * ids such as `pm_card_visa` are cloned into a new method on every attach without a key).
   */
  async attachPaymentMethod({ customerId, paymentMethodId, idempotencyKey }: { customerId: string; paymentMethodId: string; idempotencyKey: string }) {
    await this.load(customerId, 'customer');
    type Replay = { paymentMethodId?: string; error?: { code: string; message: string } };
    const replay = async (earlier: Replay) => {
      if (earlier.error) throw new GatewayError(earlier.error.code, earlier.error.message, 402);
      return toPaymentMethod(await this.load<StoredPaymentMethod>(earlier.paymentMethodId ?? '', 'payment_method'));
    };
    const { id: idemId, earlier } = await this.idempotent<Replay>(customerId, idempotencyKey);
    if (earlier) return replay(earlier);
    const pm = await this.resolvePaymentMethod(paymentMethodId);
    if (pm.customerId === customerId) return toPaymentMethod(pm);
    if (pm.customerId) throw new GatewayError('payment_method_in_use', 'This payment method belongs to another customer.', 409);
    const refusal = attachRefusal(pm.behaviour);
    if (refusal) {
      const error = { code: refusal, message: declineMessages[refusal] };
      await this.save(idemId, 'idempotency', customerId, { error });
      throw new GatewayError(error.code, error.message, 402);
    }
    const attached = { ...pm, customerId };
    const paymentMethod = toPaymentMethod(attached);
    const won = await this.db.transaction(async (tx) => {
      // The key first: of two concurrent calls with one key, the second waits here and attaches nothing.
      const [claimed] = await tx
        .insert(localGatewayObjects)
        .values({ id: idemId, object: 'idempotency', customerId, data: { paymentMethodId: attached.id } })
        .onConflictDoNothing({ target: localGatewayObjects.id })
        .returning({ id: localGatewayObjects.id });
      if (!claimed) return false;
      await this.save(attached.id, 'payment_method', customerId, attached, tx);
      await this.emit({ type: 'payment_method.attached', stripeType: 'payment_method.attached', paymentMethod }, customerId, tx);
      return true;
    });
    if (!won) {
      const { earlier: first } = await this.idempotent<Replay>(customerId, idempotencyKey);
      if (!first) throw new GatewayError('idempotency_error', 'A concurrent request with this idempotency key failed; retry.', 409);
      return replay(first);
    }
    return paymentMethod;
  }

  async detachPaymentMethod({ paymentMethodId }: { paymentMethodId: string }) {
    const pm = await this.load<StoredPaymentMethod>(paymentMethodId, 'payment_method');
    if (!pm.customerId) throw new GatewayError('payment_method_unattached', 'This payment method is not attached to a customer.', 400);
    await this.save(pm.id, 'payment_method', null, { ...pm, customerId: null });
    await this.emit(
      { type: 'payment_method.detached', stripeType: 'payment_method.detached', paymentMethodId: pm.id, customerId: pm.customerId },
      pm.customerId,
    );
  }

  async setDefaultPaymentMethod({ customerId, paymentMethodId }: { customerId: string; paymentMethodId: string }) {
    const customer = await this.load<Record<string, unknown>>(customerId, 'customer');
    const pm = await this.load<StoredPaymentMethod>(paymentMethodId, 'payment_method');
    if (pm.customerId !== customerId) throw new GatewayError('resource_missing', `No such PaymentMethod: '${paymentMethodId}'`, 404);
    await this.save(customerId, 'customer', customerId, { ...customer, invoice_settings: { default_payment_method: paymentMethodId } });
    await this.emit(
      { type: 'customer.default_payment_method', stripeType: 'customer.updated', customerId, paymentMethodId },
      customerId,
    );
  }

  /**
   * Stripe's billing clock for the local gateway. Every subscription whose period has ended
   * either ends (it was set to cancel at period end) or renews: an invoice for the new period
   * plus pending prorations, paid with the default card when that card succeeds, else left
   * open with the subscription past due; a trial becomes active. Returns how many periods moved.
   * Each period closes in its own transaction (`closeDuePeriod`); the app runs the same close as
   * the `billing.renewal` workflow (modules/billing/billing.workflows.ts), this is the direct form.
   */
  async advanceClock(now: Date = this.now()): Promise<number> {
    let moved = 0;
    for (const due of await this.dueSubscriptions(now)) {
      let periodEnd = due.currentPeriodEnd;
      // A subscription left behind for several periods catches up one period at a time.
      for (let i = 0; i < 24 && new Date(periodEnd) <= now; i++) {
        const stored = await this.load<StoredSubscription>(due.id, 'subscription');
        if (stored.status === 'canceled' || stored.currentPeriodEnd !== periodEnd) break;
        if (!stored.cancelAtPeriodEnd) await this.options.beforeRenewal?.(toSubscription(stored));
        const closed = await this.db.transaction((tx) => this.closeDuePeriod(tx, due.id, periodEnd, now));
        if (closed.outcome === 'renewed' || closed.outcome === 'canceled') moved++;
        if (closed.outcome !== 'renewed' || !closed.nextPeriodEnd) break;
        periodEnd = closed.nextPeriodEnd;
      }
    }
    return moved;
  }

  /** The billing clock's cheap query: subscriptions not canceled whose period has ended at `now`. */
  async dueSubscriptions(now: Date, q: Queryable = this.db): Promise<DueSubscription[]> {
    const rows = await q
      .select({ data: localGatewayObjects.data })
      .from(localGatewayObjects)
      .where(
        and(
          eq(localGatewayObjects.object, 'subscription'),
          sql`(${localGatewayObjects.data}->>'currentPeriodEnd')::timestamptz <= ${now.toISOString()}::timestamptz`,
          sql`${localGatewayObjects.data}->>'status' <> 'canceled'`,
        ),
      )
      .orderBy(localGatewayObjects.id);
    return rows.map((r) => {
      const s = r.data as unknown as StoredSubscription;
      return { id: s.id, customerId: s.customerId, currentPeriodEnd: s.currentPeriodEnd, status: s.status };
    });
  }

  /** A subscription as the gateway holds it now (null if unknown). */
  async retrieveSubscription(subscriptionId: string): Promise<GatewaySubscription | null> {
    try {
      return toSubscription(await this.load<StoredSubscription>(subscriptionId, 'subscription'));
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'resource_missing') return null;
      throw err;
    }
  }

  /**
   * Closes the period of one subscription that ends at `periodEnd`, entirely in `q` (the caller's
   * transaction): the subscription row is locked (FOR UPDATE) and its period checked again under
   * the lock, then the renewal invoice, its number, the consumed invoice items, the subscription's
   * next period and the events commit together, or none of them does. So two clocks (two API
   * copies, a retry after a crash) close a period once: the second finds the period moved on and
   * answers `already_closed`. `afterInvoice` runs between the invoice write and the subscription
   * write (the crash test kills the process there).
   */
  async closeDuePeriod(
    q: Queryable,
    subscriptionId: string,
    periodEnd: string,
    now: Date,
    { afterInvoice }: { afterInvoice?: () => void } = {},
  ): Promise<PeriodClose> {
    const [row] = await queryRows<{ data: StoredSubscription }>(
      q,
      sql`SELECT data FROM local_gateway_objects WHERE id = ${subscriptionId} AND object = 'subscription' FOR UPDATE`,
    );
    if (!row) throw new GatewayError('resource_missing', `No such subscription: '${subscriptionId}'`, 404);
    const stored = row.data;
    const base: PeriodClose = {
      subscriptionId,
      periodEnd: stored.currentPeriodEnd,
      outcome: 'already_closed',
      status: stored.status,
      nextPeriodEnd: null,
      invoiceId: null,
      invoiceNumber: null,
      invoiceStatus: null,
      amountDue: null,
    };
    if (stored.status === 'canceled') return { ...base, outcome: 'already_closed' };
    if (new Date(stored.currentPeriodEnd).getTime() !== new Date(periodEnd).getTime()) return { ...base, outcome: 'already_closed' };
    if (new Date(stored.currentPeriodEnd) > now) return { ...base, outcome: 'not_due' };
    if (stored.cancelAtPeriodEnd) {
      const ended: StoredSubscription = { ...stored, status: 'canceled' };
      await this.save(stored.id, 'subscription', stored.customerId, ended, q);
      await this.emit({ type: 'subscription.deleted', stripeType: 'customer.subscription.deleted', subscription: toSubscription(ended) }, stored.customerId, q);
      return { ...base, outcome: 'canceled', status: 'canceled' };
    }
    const plan = await this.plan(stored.planKey, q);
    const previousStart = new Date(stored.currentPeriodStart);
    const start = new Date(stored.currentPeriodEnd);
    const end = addMonth(start);
    const items = await this.pendingItems(stored.id, q);
    const lines: GatewayInvoiceLine[] = [
      { kind: 'subscription', description: `${plan.name} plan (${shortDate(start)} – ${shortDate(end)})`, metricType: null, quantity: 1, unitAmount: plan.priceMonthly, unitSize: 1, usedQuantity: null, includedQuantity: null, amount: plan.priceMonthly, periodStart: start, periodEnd: end },
      ...items.map((item): GatewayInvoiceLine =>
        item.kind === 'usage'
          ? {
              kind: 'usage',
              description: item.description,
              metricType: item.metricType ?? null,
              ...usagePricing(item),
              amount: item.amount,
              periodStart: new Date(item.periodStart ?? previousStart),
              periodEnd: new Date(item.periodEnd ?? start),
            }
          : { kind: 'proration', description: item.description, metricType: null, quantity: 1, unitAmount: item.amount, unitSize: 1, usedQuantity: null, includedQuantity: null, amount: item.amount, periodStart: previousStart, periodEnd: start },
      ),
    ];
    const subtotal = lines.reduce((sum, l) => sum + l.amount, 0);
    const amountDue = Math.max(0, subtotal);
    const [customerRow] = await queryRows<{ data: { invoicePrefix?: string; nextInvoiceSequence?: number; invoice_settings?: { default_payment_method?: string | null } } }>(
      q,
      sql`SELECT data FROM local_gateway_objects WHERE id = ${stored.customerId} AND object = 'customer' FOR UPDATE`,
    );
    if (!customerRow) throw new GatewayError('resource_missing', `No such customer: '${stored.customerId}'`, 404);
    const customer = customerRow.data;
    const defaultMethod = customer.invoice_settings?.default_payment_method;
    const card = defaultMethod ? await this.load<StoredPaymentMethod>(defaultMethod, 'payment_method', q).catch(() => null) : null;
    const paid = amountDue === 0 || (card !== null && chargeRefusal(card.behaviour) === null);
    const sequence = customer.nextInvoiceSequence ?? 1;
    await this.save(stored.customerId, 'customer', stored.customerId, { ...customer, nextInvoiceSequence: sequence + 1 }, q);
    const invoice = {
      id: newId('in'),
      customerId: stored.customerId,
      subscriptionId: stored.id,
      number: `${customer.invoicePrefix ?? 'CBP'}-${String(sequence).padStart(4, '0')}`,
      status: paid ? ('paid' as const) : ('open' as const),
      currency: plan.currency,
      subtotal,
      amountDue,
      amountPaid: paid ? amountDue : 0,
      periodStart: start,
      periodEnd: end,
      dueDate: paid ? null : new Date(start.getTime() + 14 * 86_400_000),
      paidAt: paid ? now : null,
      created: now,
      billingReason: 'subscription_cycle',
      lines,
    };
    await this.save(invoice.id, 'invoice', stored.customerId, invoice, q);
    for (const item of items) await q.delete(localGatewayObjects).where(eq(localGatewayObjects.id, item.id));
    await this.emit({ type: 'invoice.updated', stripeType: paid ? 'invoice.paid' : 'invoice.payment_failed', invoice }, stored.customerId, q);
    afterInvoice?.();
    const renewed: StoredSubscription = {
      ...stored,
      status: paid ? 'active' : 'past_due',
      currentPeriodStart: start.toISOString(),
      currentPeriodEnd: end.toISOString(),
    };
    await this.save(stored.id, 'subscription', stored.customerId, renewed, q);
    await this.emit({ type: 'subscription.updated', stripeType: 'customer.subscription.updated', subscription: toSubscription(renewed) }, stored.customerId, q);
    return {
      ...base,
      outcome: 'renewed',
      status: renewed.status,
      nextPeriodEnd: renewed.currentPeriodEnd,
      invoiceId: invoice.id,
      invoiceNumber: invoice.number,
      invoiceStatus: invoice.status,
      amountDue,
    };
  }

  async addInvoiceItem(input: UsageInvoiceItem): Promise<{ id: string }> {
    const stored = await this.load<StoredSubscription>(input.subscriptionId, 'subscription');
    if (stored.customerId !== input.customerId) throw new GatewayError('resource_missing', `No such subscription: '${input.subscriptionId}'`, 404);
    const { id: idemId, earlier } = await this.idempotent<{ invoiceItemId: string }>(input.customerId, input.idempotencyKey);
    if (earlier) return { id: earlier.invoiceItemId };
    if (stored.status === 'canceled') throw new GatewayError('subscription_canceled', 'A canceled subscription has no next invoice.', 422);
    const item: StoredInvoiceItem = {
      id: newId('ii'),
      subscriptionId: stored.id,
      description: input.description,
      amount: input.amount,
      kind: 'usage',
      metricType: input.metricType,
      quantity: input.quantity,
      usedQuantity: input.usedQuantity,
      includedQuantity: input.includedQuantity,
      unitSize: input.unitSize,
      unitAmount: input.unitAmount,
      periodStart: input.periodStart.toISOString(),
      periodEnd: input.periodEnd.toISOString(),
    };
    await this.save(item.id, 'invoiceitem', stored.customerId, item);
    await this.save(idemId, 'idempotency', stored.customerId, { invoiceItemId: item.id });
    return { id: item.id };
  }

  /**
   * Stripe's `invoices.pay` with a card of the customer, off session: the card's test behaviour
   * decides (a `charge_fails` card is attached fine and declined here). The charge, the idempotency
   * record and, for an invoice this gateway drew up, the paid invoice with its `invoice.paid` event
   * (and a past-due subscription made active again) commit together. One charge per invoice: the
   * charge's id derives from the invoice, so a second payment is `invoice_already_paid` (409).
   * Invoices this gateway never drew up (the demo's seeded history) are charged `amount`.
   */
  async payInvoice({ customerId, invoiceId, paymentMethodId, amount, currency, idempotencyKey }: PayInvoiceInput): Promise<InvoicePayment> {
    await this.load(customerId, 'customer');
    type Replay = { paymentId?: string; amountPaid?: number; paidAt?: string; error?: { code: string; message: string } };
    const replay = (earlier: Replay): InvoicePayment => {
      if (earlier.error) throw new GatewayError(earlier.error.code, earlier.error.message, 402);
      return { paymentId: earlier.paymentId ?? '', amountPaid: earlier.amountPaid ?? 0, paidAt: new Date(earlier.paidAt ?? 0) };
    };
    const { id: idemId, earlier } = await this.idempotent<Replay>(customerId, idempotencyKey);
    if (earlier) return replay(earlier);
    const pm = await this.load<StoredPaymentMethod>(paymentMethodId, 'payment_method').catch(() => null);
    if (!pm || pm.customerId !== customerId) throw new GatewayError('resource_missing', `No such PaymentMethod: '${paymentMethodId}'`, 404);
    const refusal = chargeRefusal(pm.behaviour);
    if (refusal) {
      const error = { code: refusal, message: declineMessages[refusal] };
      await this.save(idemId, 'idempotency', customerId, { error });
      throw new GatewayError(error.code, error.message, 402);
    }
    const paidAt = this.now();
    const paymentId = `ch_${createHash('sha256').update(`${customerId}:${invoiceId}`).digest('hex').slice(0, 24)}`;
    const alreadyPaid = () => new GatewayError('invoice_already_paid', 'This invoice has already been paid.', 409);
    const result = await this.db.transaction(async (tx) => {
      const [stored] = await queryRows<{ data: GatewayInvoice & Record<string, unknown> }>(
        tx,
        sql`SELECT data FROM local_gateway_objects WHERE id = ${invoiceId} AND object = 'invoice' FOR UPDATE`,
      );
      if (stored && stored.data.customerId !== customerId) throw new GatewayError('resource_missing', `No such invoice: '${invoiceId}'`, 404);
      if (stored && stored.data.status === 'paid') throw alreadyPaid();
      const charged = stored ? Math.max(0, Number(stored.data.amountDue) - Number(stored.data.amountPaid)) : amount;
      const payment: InvoicePayment = { paymentId, amountPaid: charged, paidAt };
      // The key first: of two concurrent calls with one key, the second waits here and charges nothing.
      const [claimed] = await tx
        .insert(localGatewayObjects)
        .values({ id: idemId, object: 'idempotency', customerId, data: { paymentId, amountPaid: charged, paidAt: paidAt.toISOString() } })
        .onConflictDoNothing({ target: localGatewayObjects.id })
        .returning({ id: localGatewayObjects.id });
      if (!claimed) return null;
      const [newCharge] = await tx
        .insert(localGatewayObjects)
        .values({ id: paymentId, object: 'charge', customerId, data: { id: paymentId, invoiceId, amount: charged, currency, paymentMethodId, created: paidAt.toISOString() } })
        .onConflictDoNothing({ target: localGatewayObjects.id })
        .returning({ id: localGatewayObjects.id });
      if (!newCharge) throw alreadyPaid();
      if (stored) {
        const paidInvoice = { ...stored.data, status: 'paid' as const, amountPaid: Number(stored.data.amountPaid) + charged, paidAt };
        await this.save(invoiceId, 'invoice', customerId, paidInvoice, tx);
        // Stored as JSON (dates as strings): the event is serialised the same way and revived on delivery.
        await this.emit({ type: 'invoice.updated', stripeType: 'invoice.paid', invoice: paidInvoice }, customerId, tx);
        const subscriptionId = stored.data.subscriptionId;
        const [sub] = subscriptionId
          ? await queryRows<{ data: StoredSubscription }>(tx, sql`SELECT data FROM local_gateway_objects WHERE id = ${subscriptionId} AND object = 'subscription' FOR UPDATE`)
          : [];
        if (sub && sub.data.status === 'past_due') {
          const active: StoredSubscription = { ...sub.data, status: 'active' };
          await this.save(active.id, 'subscription', customerId, active, tx);
          await this.emit({ type: 'subscription.updated', stripeType: 'customer.subscription.updated', subscription: toSubscription(active) }, customerId, tx);
        }
      }
      return payment;
    });
    if (!result) {
      const { earlier: first } = await this.idempotent<Replay>(customerId, idempotencyKey);
      if (!first) throw new GatewayError('idempotency_error', 'A concurrent request with this idempotency key failed; retry.', 409);
      return replay(first);
    }
    return result;
  }

  async retrievePaymentMethod(paymentMethodId: string): Promise<GatewayPaymentMethod | null> {
    try {
      return toPaymentMethod(await this.load<StoredPaymentMethod>(paymentMethodId, 'payment_method'));
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'resource_missing') return null;
      throw err;
    }
  }

  async defaultPaymentMethodOf(customerId: string): Promise<string | null> {
    const customer = await this.load<{ invoice_settings?: { default_payment_method?: string | null } }>(customerId, 'customer');
    return customer.invoice_settings?.default_payment_method ?? null;
  }
}

export interface DueSubscription {
  id: string;
  customerId: string;
  /** ISO 8601, as stored. */
  currentPeriodEnd: string;
  status: string;
}

/** What closing one period did (JSON: a workflow step's result). */
export type PeriodClose = {
  subscriptionId: string;
  /** The period end found under the lock (ISO 8601). */
  periodEnd: string;
  outcome: 'renewed' | 'canceled' | 'already_closed' | 'not_due';
  status: string | null;
  nextPeriodEnd: string | null;
  invoiceId: string | null;
  invoiceNumber: string | null;
  invoiceStatus: string | null;
  amountDue: number | null;
};

interface StoredPaymentMethod extends GatewayPaymentMethod {
  behaviour: CardBehaviour;
}

function toPaymentMethod({ behaviour: _behaviour, ...pm }: StoredPaymentMethod): GatewayPaymentMethod {
  return pm;
}

function toSubscription(s: StoredSubscription): GatewaySubscription {
  return {
    ...s,
    currentPeriodStart: new Date(s.currentPeriodStart),
    currentPeriodEnd: new Date(s.currentPeriodEnd),
    trialEnd: s.trialEnd ? new Date(s.trialEnd) : null,
  };
}

