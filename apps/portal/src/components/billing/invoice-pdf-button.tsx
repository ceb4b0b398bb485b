import { useMutation } from '@tanstack/react-query';
import { Download, Loader2 } from 'lucide-react';
import { Button, type ButtonProps } from '@/components/ui/button';
import { downloadInvoicePdf } from '@/services/billing.service';
import type { Invoice } from '@/types/billing';

interface InvoicePdfButtonProps extends ButtonProps {
  invoice: Pick<Invoice, 'id' | 'number'>;
  /** In a table row the button reads "PDF" and names its invoice for screen readers. */
  compact?: boolean;
}

/** Downloads one invoice as `invoice-<number>.pdf`; failures are toasted by platformApi. */
export function InvoicePdfButton({ invoice, compact = false, ...props }: InvoicePdfButtonProps) {
  const download = useMutation({ mutationFn: () => downloadInvoicePdf(invoice) });
  return (
    <Button
      variant="outline"
      size="sm"
      aria-label={compact ? `Download invoice ${invoice.number} as PDF` : undefined}
      aria-busy={download.isPending}
      disabled={download.isPending}
      onClick={() => download.mutate()}
      {...props}
    >
      {download.isPending ? <Loader2 className="animate-spin" aria-hidden="true" /> : <Download aria-hidden="true" />}
      {compact ? 'PDF' : 'Download PDF'}
    </Button>
  );
}
