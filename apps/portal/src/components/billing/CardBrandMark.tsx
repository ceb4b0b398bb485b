import { CreditCard, Landmark } from 'lucide-react';
import { cn } from '@/lib/cn';

/*
 * A small card-shaped mark per brand. Each carries the brand's letters (or Mastercard's two
 * circles), so brands differ in shape and text, not only in colour. The mark is decorative: the
 * brand's name is always written next to it.
 */
const marks: Record<string, { text: string; className: string }> = {
  visa: { text: 'VISA', className: 'bg-[#1a1f71] text-white italic' },
  amex: { text: 'AMEX', className: 'bg-[#1f72cd] text-white' },
  discover: { text: 'DISC', className: 'bg-[#231f20] text-white' },
  diners: { text: 'DC', className: 'bg-[#005b8f] text-white' },
  jcb: { text: 'JCB', className: 'bg-[#0b4ea2] text-white' },
  unionpay: { text: 'UP', className: 'bg-[#d10429] text-white' },
};

const frame = 'inline-flex h-8 w-12 shrink-0 items-center justify-center rounded-md ring-1 ring-black/10 ring-inset dark:ring-white/20';

export function CardBrandMark({ brand, type = 'card', className }: { brand: string | null; type?: string; className?: string }) {
  if (type !== 'card') {
    return (
      <span aria-hidden="true" className={cn(frame, 'bg-muted text-muted-foreground', className)}>
        <Landmark className="size-4" />
      </span>
    );
  }
  if (brand === 'mastercard') {
    return (
      <span aria-hidden="true" className={cn(frame, 'bg-[#252525]', className)}>
        <svg viewBox="0 0 32 20" className="h-5 w-8">
          <circle cx="12" cy="10" r="8" fill="#eb001b" />
          <circle cx="20" cy="10" r="8" fill="#f79e1b" fillOpacity="0.9" />
        </svg>
      </span>
    );
  }
  const mark = brand ? marks[brand] : undefined;
  if (!mark) {
    return (
      <span aria-hidden="true" className={cn(frame, 'bg-muted text-muted-foreground', className)}>
        <CreditCard className="size-4" />
      </span>
    );
  }
  return (
    <span aria-hidden="true" className={cn(frame, 'text-[10px] font-bold tracking-wide', mark.className, className)}>
      {mark.text}
    </span>
  );
}
