export type {
  AddPaymentMethodRequest,
  CardDetails,
  LocalCardRequest,
  PaymentMethod,
  PaymentMethodType,
  SetupIntent,
} from '@cbp/contracts';
