export type {
  Invoice,
  InvoiceLine,
  InvoiceListQuery,
  InvoiceStatus,
  MetricLimit,
  Plan,
  PlanChangePreview,
  PlanLimitImpact,
  ProrationLine,
  Subscription,
  SubscriptionStatus,
  UpcomingInvoice,
} from '@cbp/contracts';
