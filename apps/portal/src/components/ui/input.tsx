import type { ComponentProps } from 'react';
import { cn } from '@/lib/cn';

/** A text input; `aria-invalid` turns its border red, so the error state and its announcement stay in step. */
export function Input({ className, type = 'text', ...props }: ComponentProps<'input'>) {
  return (
    <input
      type={type}
      className={cn(
        'h-9 w-full min-w-0 rounded-md border border-input bg-card px-3 text-sm shadow-xs placeholder:text-muted-foreground focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring disabled:cursor-not-allowed disabled:opacity-50 aria-invalid:border-red-600 dark:aria-invalid:border-red-400',
        className,
      )}
      {...props}
    />
  );
}
