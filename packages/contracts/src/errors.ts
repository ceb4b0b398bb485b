import { z } from 'zod';

/**
 * The error catalogue: every `code` the API answers in a problem+json body, with the HTTP
 * statuses it comes with and what it means. `AppError` accepts these codes only; a new code is
 * added here first (and documented in docs/ERRORS.md, which a test keeps in step).
 */
export const errorCatalogue = {
  // The request itself
  VALIDATION_FAILED: { statuses: [400], meaning: 'A field, parameter or header is invalid (or the body is not valid JSON); `errors[]` names each field.' },
  BAD_REQUEST: { statuses: [406, 413, 415], meaning: 'The request cannot be taken at the HTTP level: body too large, unsupported media type, unacceptable format (or another 4xx the HTTP layer raises).' },
  WEBHOOK_SIGNATURE_INVALID: { statuses: [400], meaning: 'The Stripe-Signature header does not match the webhook payload.' },
  // Who is asking
  UNAUTHENTICATED: { statuses: [401], meaning: 'No bearer token, or one that is invalid or expired.' },
  FORBIDDEN: { statuses: [403], meaning: "The caller's role does not allow this action." },
  NOT_A_MEMBER: { statuses: [403], meaning: 'The caller has no active membership in the requested organization.' },
  TENANT_REQUIRED: { statuses: [400], meaning: 'The caller belongs to several organizations: send X-Tenant-Id.' },
  TENANT_SUSPENDED: { statuses: [403], meaning: "The organization is suspended: its routes refuse its members and API keys until it is reactivated." },
  MFA_REQUIRED: { statuses: [403], meaning: "The organization requires two-step verification and the caller's token comes from a sign-in without a second factor (no `otp` in `amr`): sign in again with an authenticator code. GET /me still answers." },
  RATE_LIMITED: { statuses: [429], meaning: 'Too many requests; wait for Retry-After and retry.' },
  CURRENT_PASSWORD_INCORRECT: { statuses: [403], meaning: 'POST /me/password: the current password is not correct (`errors[]` names `body.currentPassword`); attempts count against the sign-in throttle.' },
  CONFIRMATION_MISMATCH: { statuses: [400], meaning: "DELETE /organization: `confirmName` is not exactly the organization's name (`errors[]` names `body.confirmName`); nothing is scheduled." },
  // What is asked for
  NOT_FOUND: { statuses: [404], meaning: 'No such route or resource (or not visible to this organization).' },
  GONE: { statuses: [410], meaning: 'The resource existed but no longer can be used (e.g. an expired or revoked invitation).' },
  CONFLICT: { statuses: [409], meaning: 'The change conflicts with the current state (e.g. a duplicate).' },
  BUSINESS_RULE: { statuses: [422], meaning: 'The request is valid but a business rule refuses it; `detail` says which.' },
  // Idempotency-Key
  IDEMPOTENCY_IN_PROGRESS: { statuses: [409], meaning: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
  IDEMPOTENCY_KEY_REUSED: { statuses: [422], meaning: 'This Idempotency-Key was already used with a different request.' },
  // Billing
  NOT_PROVISIONED: { statuses: [409], meaning: 'The organization has no billing account or gateway subscription yet.' },
  SUBSCRIPTION_CANCELED: { statuses: [422], meaning: 'The subscription has ended; it cannot change plan or cancellation.' },
  SAME_PLAN: { statuses: [422], meaning: 'The organization is already on this plan.' },
  SEAT_LIMIT_REACHED: {
    statuses: [422],
    meaning: "Inviting, reactivating or adding a member needs a seat the plan does not have: active members and pending invitations fill the plan's `users` limit; `detail` says what frees one.",
  },
  PLAN_LIMITS_EXCEEDED: { statuses: [422], meaning: 'The organization has more active members than the target plan allows; `detail` says how many to remove first.' },
  PRORATION_DATE_OUT_OF_RANGE: { statuses: [422], meaning: 'The plan-change preview has expired; preview again.' },
  INVOICE_ALREADY_PAID: { statuses: [409], meaning: 'POST /invoices/{id}/pay: the invoice is paid already; nothing was charged.' },
  INVOICE_NOT_PAYABLE: { statuses: [409], meaning: 'POST /invoices/{id}/pay: only an open invoice can be paid (this one is a draft, void or uncollectible); nothing was charged.' },
  NO_PAYMENT_METHOD: { statuses: [422], meaning: 'POST /invoices/{id}/pay: the organization has no default payment method; add a card first. Nothing was charged.' },
  // Payment methods
  CARD_DECLINED: {
    statuses: [402],
    meaning: "The gateway refused the card; `declineCode` carries the gateway's reason (card_declined, insufficient_funds, expired_card, incorrect_cvc, authentication_required, setup_failed, ...).",
  },
  INCORRECT_NUMBER: { statuses: [422], meaning: 'Local gateway card form: the card number fails its checksum.' },
  NOT_A_TEST_CARD: { statuses: [422], meaning: "Local gateway card form: only Stripe's documented test card numbers are accepted." },
  INVALID_EXPIRY: { statuses: [422], meaning: "Local gateway card form: the card's expiry date is in the past." },
  INVALID_PAYMENT_METHOD: { statuses: [400], meaning: 'The gateway will not use this payment method (detached, or not attached to a customer).' },
  PAYMENT_METHOD_IN_USE: { statuses: [409], meaning: 'The payment method belongs to another customer at the gateway.' },
  PAYMENT_METHOD_EXISTS: { statuses: [409], meaning: 'This payment method is already saved.' },
  DUPLICATE_PAYMENT_METHOD: { statuses: [409], meaning: 'The same card (same fingerprint) is already saved under another method.' },
  DEFAULT_PAYMENT_METHOD: { statuses: [422], meaning: 'The default payment method cannot be removed while others exist; make another the default first.' },
  LAST_PAYMENT_METHOD: { statuses: [422], meaning: 'The last payment method of a paid subscription cannot be removed.' },
  // Workflows
  WORKFLOW_NOT_RETRYABLE: { statuses: [409], meaning: 'Only a failed workflow run can be retried; `detail` gives its status.' },
  WORKFLOW_NOT_RUNNING: { statuses: [409], meaning: 'Only a running workflow run can be cancelled; `detail` gives its status.' },
  // Identity roles (GET/POST/DELETE /keycloak/...)
  IDENTITY_REALM_NOT_FOUND: { statuses: [404], meaning: 'The realm in the path is not the realm CBP manages (KEYCLOAK_REALM, or `cbp` with the built-in provider).' },
  IDENTITY_ROLE_NOT_FOUND: { statuses: [404], meaning: 'The identity provider has no realm role with this id or name.' },
  IDENTITY_USER_NOT_FOUND: { statuses: [404], meaning: 'The identity provider has no user with this id (or email).' },
  // Dependencies and the server
  IDENTITY_PROVIDER_UNAVAILABLE: {
    statuses: [502, 503],
    meaning: "The identity provider's admin API failed (502: it answered wrongly or refused CBP's service account) or is unreachable (503, with Retry-After); nothing was changed.",
  },
  PAYMENT_GATEWAY_UNAVAILABLE: {
    statuses: [502, 503],
    meaning: 'The payment gateway failed (502: it answered wrongly or refused our credentials) or is unreachable or throttling (503, with Retry-After); nothing was changed.',
  },
  DATABASE_UNAVAILABLE: { statuses: [503], meaning: 'The database is unreachable; retry after Retry-After.' },
  SERVICE_UNAVAILABLE: { statuses: [503], meaning: 'A feature this request needs is not configured on this server (e.g. Stripe webhooks).' },
  INTERNAL: { statuses: [500], meaning: 'An unexpected error; the request id lets operators find it in the logs.' },
} as const satisfies Record<string, { statuses: readonly number[]; meaning: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
/** Stable machine-readable error codes carried in every problem+json body. */
export const errorCodes = Object.keys(errorCatalogue) as [ErrorCode, ...ErrorCode[]];
export const ErrorCode = z.enum(errorCodes);

export const FieldError = z.object({
  path: z.string().describe('Dotted path of the invalid field, e.g. `body.email`'),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldError>;

/** RFC 9457 problem details, extended with a stable `code`. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  code: z.string().describe('A code from the error catalogue (`errorCatalogue` in @cbp/contracts, docs/ERRORS.md)'),
  /** With CARD_DECLINED: the gateway's reason, e.g. `insufficient_funds`. */
  declineCode: z.string().optional().describe("CARD_DECLINED only: the gateway's decline reason, e.g. `insufficient_funds`"),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z.array(FieldError).optional(),
});
export type Problem = z.infer<typeof Problem>;
