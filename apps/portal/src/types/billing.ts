export type {
  Invoice,
  InvoiceLine,
  InvoiceListQuery,
  InvoiceStatus,
  MetricLimit,
  Plan,
  PlanChangePreview,
  ProrationLine,
  Subscription,
  SubscriptionStatus,
  UpcomingInvoice,
} from '@cbp/contracts';
