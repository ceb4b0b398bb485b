import type { ComponentProps, ReactNode } from 'react';
import type { FieldError } from '@cbp/contracts';
import { Input } from '@/components/ui/input';
import { problemFromError } from '@/lib/axios';

/* Pieces the account settings forms share: a labelled field with its hint and error, and the API's field errors. */

export function SettingsField({
  id,
  label,
  hint,
  error,
  ...input
}: { id: string; label: string; hint?: ReactNode; error?: string | null } & Omit<ComponentProps<'input'>, 'id'>) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <Input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint ? (
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="text-xs font-medium text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The API's field errors by field name (`body.newPassword` -> `newPassword`). */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  const errors: readonly FieldError[] = problemFromError(error)?.errors ?? [];
  const byField: Record<string, string> = {};
  for (const e of errors) {
    const field = e.path.replace(/^body\./, '');
    byField[field] ??= e.message;
  }
  return byField;
}

/** Two letters of a name, as the avatar in the header shows them. */
export function initialsOf(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((p) => p?.[0]?.toUpperCase() ?? '').join('') || '?';
}

export function SettingsHeading({ id, title, description }: { id: string; title: string; description: string }) {
  return (
    <div>
      <h2 id={id} className="text-lg font-semibold">
        {title}
      </h2>
      <p className="mt-1 text-sm text-muted-foreground">{description}</p>
    </div>
  );
}
