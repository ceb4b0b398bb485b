import { cn } from '@/lib/cn';

export function BrandMark({ className }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" aria-hidden="true" className={cn('size-7', className)}>
      <rect width="32" height="32" rx="7" className="fill-primary" />
      <path
        d="M20.5 11.2a6.5 6.5 0 1 0 0 9.6"
        fill="none"
        strokeWidth="3"
        strokeLinecap="round"
        className="stroke-primary-foreground"
      />
    </svg>
  );
}

export function Brand() {
  return (
    <span className="flex items-center gap-2.5 text-[15px] font-semibold tracking-tight">
      <BrandMark />
      CBP Portal
    </span>
  );
}
