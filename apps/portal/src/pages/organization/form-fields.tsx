import { useId, type ReactNode } from 'react';
import type { FieldErrors, FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { problemFromError } from '@/lib/axios';
import { cn } from '@/lib/cn';

/* The pieces the organization forms share: a labelled field with its hint and error, and the API's field errors put on the fields. */

export const fieldLabel = 'text-sm font-medium';
export const fieldHint = 'text-xs text-muted-foreground';
export const fieldError = 'text-xs text-red-700 dark:text-red-300';

/** The first message at a dotted path (`address.country`, `allowedSignupDomains`, or one of its items). */
export function errorAt(errors: FieldErrors, path: string): string | undefined {
  let node: unknown = errors;
  for (const key of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return firstMessage(node);
}

function firstMessage(node: unknown, depth = 0): string | undefined {
  if (!node || typeof node !== 'object' || depth > 4) return undefined;
  const message = (node as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  for (const [key, child] of Object.entries(node)) {
    if (key === 'ref') continue;
    const found = firstMessage(child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * The API's `errors[]` (paths like `body.address.country`) as errors on the form's fields.
 * Returns false when the refusal named no field this form has (the caller shows its sentence).
 */
export function applyApiFieldErrors<T extends FieldValues>(error: unknown, setError: UseFormSetError<T>, fields: readonly string[]): boolean {
  const problem = problemFromError(error);
  let applied = false;
  for (const e of problem?.errors ?? []) {
    const path = e.path.replace(/^body\./, '');
    const field = fields.find((f) => path === f || path.startsWith(`${f}.`));
    if (!field) continue;
    setError(path as Path<T>, { type: 'server', message: e.message }, { shouldFocus: !applied });
    applied = true;
  }
  return applied;
}

interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  className?: string;
  /** Renders the control with the ids it must carry. */
  children: (ids: { id: string; 'aria-invalid': boolean; 'aria-describedby': string | undefined }) => ReactNode;
}

/** A label, the control, a hint and the field's error, wired for screen readers. */
export function Field({ label, hint, error, className, children }: FieldProps) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={cn('flex flex-col gap-1.5', className)}>
      <label htmlFor={id} className={fieldLabel}>
        {label}
      </label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {hint ? (
        <p id={`${id}-hint`} className={fieldHint}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className={fieldError}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Shown above a form the caller may read but not change. */
export function ReadOnlyNote({ what }: { what: string }) {
  return (
    <p className="mb-4 rounded-md border border-dashed bg-muted/40 px-3 py-2 text-sm text-muted-foreground" data-testid="read-only-note">
      Only admins and owners can change the {what}. You can read it.
    </p>
  );
}
