import { CreditCard } from 'lucide-react';
import { AreaPlaceholder } from '@/components/layout/area-placeholder';

export default function BillingPage() {
  return (
    <AreaPlaceholder
      title="Billing"
      icon={CreditCard}
      summary="Billing: plans, invoices and payment methods arrive here."
      planned={[
        'See your subscription and change or cancel your plan (owners).',
        'Download invoices as PDF.',
        'Add, remove and choose the default payment method (owners).',
      ]}
    />
  );
}
