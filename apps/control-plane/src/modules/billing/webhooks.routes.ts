import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import { Problem } from '@cbp/contracts';
import { parseStripeWebhook, WebhookSignatureError } from '../../adapters/payments/stripe-mapping.js';
import type { WorkflowEngine } from '../../adapters/workflows/port.js';
import type { AppDb } from '../../platform/db.js';
import { AppError } from '../../platform/errors.js';
import { enqueueStripeEvent } from './billing.workflows.js';

export interface WebhookDeps {
  db: AppDb;
  /** Runs the `billing.stripe-event` workflow that applies each stored event. */
  engine: WorkflowEngine;
  /** Only used to verify signatures; no API call is made with it. */
  stripe: Stripe;
  secret: string | undefined;
}

const Receipt = z.object({ received: z.literal(true), outcome: z.string() });

export const webhookRoutes: FastifyPluginAsyncZod<WebhookDeps> = async (app, { db, engine, stripe, secret }) => {
  // Signatures are computed over the exact bytes Stripe sent: keep the body raw.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/webhooks/stripe',
    {
      schema: {
        tags: ['billing'],
        summary: 'Stripe events (Stripe-Signature verified): stored and answered at once, applied by a workflow; each event id once',
        description:
          'The verified event is stored with its `billing.stripe-event` workflow (`stripe.event:<event id>`) in one transaction; ' +
          '`outcome` is `queued`, `duplicate` (this event id was received before) or `ignored` (an event type CBP does not use).',
        response: { 200: Receipt, 400: Problem, 503: Problem },
      },
    },
    async (request) => {
      if (!secret) throw new AppError(503, 'SERVICE_UNAVAILABLE', 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET).');
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.from(String(request.body ?? ''));
      const signature = request.headers['stripe-signature'];
      let event;
      try {
        event = parseStripeWebhook(stripe, raw, Array.isArray(signature) ? signature[0] : signature, secret);
      } catch (err) {
        if (err instanceof WebhookSignatureError) {
          throw new AppError(400, 'WEBHOOK_SIGNATURE_INVALID', 'The Stripe-Signature header does not match this payload.');
        }
        throw err;
      }
      // Event types CBP does not use are acknowledged without being stored.
      if (event.type === 'ignored') return { received: true as const, outcome: 'ignored' };
      // Stored with its workflow in one transaction; applied by the workflow, never in the request.
      const queued = await enqueueStripeEvent(db, engine, event);
      if (queued) engine.wake();
      const outcome = queued ? 'queued' : 'duplicate';
      request.log.info({ eventId: event.id, type: event.stripeType, outcome, runId: queued?.runId }, 'stripe webhook');
      return { received: true as const, outcome };
    },
  );
};
