import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineWorkflow, type WorkflowEngine } from '../../adapters/workflows/port.js';
import { queryRows, type ScopedTx } from '../../platform/db.js';
import { publishEvent } from '../../platform/events.js';

// "Card expiring soon" (issue 14): one platform run per UTC day, `card-expiry:<YYYY-MM-DD>`.
// Its one local step marks every card that expires within 30 days and has not been announced
// for that expiry (migration 0036) and publishes a `card.expiring` event per card in the same
// transaction, so each expiry is announced exactly once (the notifications handler tells the
// owner, by in-app notification and email).

export const cardExpiryWorkflowType = 'payment-methods.card-expiry';
export const cardExpiryWorkflowId = (day: string) => `card-expiry:${day}`;
/** How long before a card stops working its owner is told. */
export const cardExpiryNoticeDays = 30;

const CardExpiryInput = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });

/**
 * Cards whose last valid day (the end of their expiry month) is at most `cardExpiryNoticeDays`
 * after `day` and not before it, not yet announced for that expiry: marked and announced.
 * Runs in the platform scope (every tenant's cards).
 */
export async function announceExpiringCards(tx: ScopedTx, day: string): Promise<number> {
  const cards = await queryRows<{ tenant_id: string; id: string; card_brand: string | null; card_last4: string | null; card_exp_month: number; card_exp_year: number }>(
    tx,
    sql`UPDATE payment_methods
        SET expiry_notified_for = card_exp_year::text || '-' || lpad(card_exp_month::text, 2, '0')
        WHERE type = 'card' AND card_exp_year IS NOT NULL AND card_exp_month BETWEEN 1 AND 12
          AND (make_date(card_exp_year, card_exp_month, 1) + interval '1 month')::date > ${day}::date
          AND (make_date(card_exp_year, card_exp_month, 1) + interval '1 month')::date <= ${day}::date + ${cardExpiryNoticeDays + 1}::int
          AND expiry_notified_for IS DISTINCT FROM card_exp_year::text || '-' || lpad(card_exp_month::text, 2, '0')
        RETURNING tenant_id, id, card_brand, card_last4, card_exp_month, card_exp_year`,
  );
  for (const card of cards) {
    await publishEvent(tx, {
      type: 'card.expiring',
      tenantId: card.tenant_id,
      payload: { paymentMethodId: card.id, brand: card.card_brand, last4: card.card_last4, expMonth: card.card_exp_month, expYear: card.card_exp_year },
    });
  }
  return cards.length;
}

export function cardExpiryWorkflows() {
  const check = defineWorkflow({
    type: cardExpiryWorkflowType,
    parseInput: (input) => CardExpiryInput.parse(input),
    async run(ctx, { day }) {
      const announced = await ctx.step('announce-expiring-cards', async ({ tx }) => announceExpiringCards(tx, day));
      return { day, announced };
    },
  });
  return [check] as const;
}

/** The trigger (hourly with the other housekeeping): starts today's run; again the same day is a no-op. */
export async function startCardExpiryCheck(engine: WorkflowEngine, now = new Date()): Promise<number> {
  const day = now.toISOString().slice(0, 10);
  const run = await engine.start({ type: cardExpiryWorkflowType, tenantId: null, workflowId: cardExpiryWorkflowId(day), input: { day } });
  return run.created ? 1 : 0;
}
