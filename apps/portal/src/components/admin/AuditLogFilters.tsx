import { useState, type FormEvent } from 'react';
import { Search, X } from 'lucide-react';
import {
  dayEndUtc,
  dayStartUtc,
  isKnownAction,
  knownActions,
  knownTargetTypes,
  targetTypeLabel,
  utcDayOf,
} from '@/components/admin/audit-log-format';
import { hasFilters } from '@/components/admin/audit-log-search-params';
import { Button } from '@/components/ui/button';
import { cn } from '@/lib/cn';
import type { AuditLogFilters as Filters } from '@/types/audit-log';

const control =
  'h-9 w-full rounded-md border border-input bg-card px-3 text-sm shadow-xs focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring';
const label = 'text-sm font-medium';
/* Controls share a row while they fit and wrap one per line on a phone. */
const field = 'flex min-w-44 flex-1 basis-48 flex-col gap-1.5';
const OTHER_ACTION = '__other__';

const actionGroups = [...new Set(knownActions.map((action) => action.group))];

/**
 * A text field's draft, reset whenever the URL's value changes under it (a cleared filter, a
 * link from the drawer); typing only reaches the URL when the form is submitted.
 */
function useDraft(value: string) {
  const [draft, setDraft] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setDraft(value);
  }
  return [draft, setDraft] as const;
}

function FilterChip({ name, value, onRemove }: { name: string; value: string; onRemove: () => void }) {
  return (
    <li className="inline-flex max-w-full items-center gap-1 rounded-md border bg-muted py-0.5 pr-0.5 pl-2 text-xs">
      <span className="text-muted-foreground">{name}:</span>
      <span className="max-w-64 truncate font-medium" title={value}>
        {value}
      </span>
      <button
        type="button"
        onClick={onRemove}
        className="rounded p-0.5 text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:outline-2 focus-visible:outline-ring"
        aria-label={`Remove the ${name.toLowerCase()} filter`}
      >
        <X className="size-3.5" aria-hidden="true" />
      </button>
    </li>
  );
}

interface AuditLogFiltersProps {
  filters: Filters;
  /** Sets the filters named in `change` (undefined removes one) and keeps the others. */
  onChange: (change: Partial<Filters>) => void;
  onClear: () => void;
  /** Names for the actor and target filters, which are set from a row or the drawer, not here. */
  actorLabel: string | undefined;
  targetLabel: string | undefined;
}

/** Action, target type, UTC date range and text search; selects apply at once, text on submit. */
export function AuditLogFilters({ filters, onChange, onClear, actorLabel, targetLabel }: AuditLogFiltersProps) {
  const [query, setQuery] = useDraft(filters.q ?? '');
  const [actionCode, setActionCode] = useDraft(filters.action ?? '');
  const [choosingOther, setChoosingOther] = useState(false);
  const otherAction = Boolean(filters.action && !isKnownAction(filters.action));
  const showActionCode = choosingOther || otherAction;
  const unknownTargetType = filters.targetType && !knownTargetTypes.some((type) => type.code === filters.targetType);

  // Any change also applies the text typed so far, so the list always matches what the form shows.
  const apply = (change: Partial<Filters> = {}) =>
    onChange({
      q: query.trim() || undefined,
      ...(showActionCode ? { action: actionCode.trim() || undefined } : {}),
      ...change,
    });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    apply();
  };

  const chooseAction = (value: string) => {
    if (value === OTHER_ACTION) {
      setChoosingOther(true);
      return;
    }
    setChoosingOther(false);
    apply({ action: value || undefined });
  };

  return (
    <form role="search" aria-label="Audit log filters" onSubmit={submit} className="mb-4 space-y-3 rounded-xl border bg-card p-4 shadow-xs">
      <div className="flex flex-col gap-1.5">
        <label htmlFor="audit-search" className={label}>
          Search
        </label>
        <div className="flex gap-2">
          <div className="relative flex-1">
            <Search className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden="true" />
            <input
              id="audit-search"
              type="search"
              value={query}
              onChange={(event) => setQuery(event.target.value)}
              aria-describedby="audit-search-hint"
              placeholder="Action, target name or id, actor email"
              maxLength={200}
              className={cn(control, 'pl-9')}
            />
          </div>
          <Button type="submit">Search</Button>
        </div>
        <p id="audit-search-hint" className="text-xs text-muted-foreground">
          Finds entries whose action, target or actor email contains the text. Press Enter to search.
        </p>
      </div>

      <div className="flex flex-wrap items-end gap-3">
        <div className={field}>
          <label htmlFor="audit-action" className={label}>
            Action
          </label>
          <select
            id="audit-action"
            value={showActionCode ? OTHER_ACTION : (filters.action ?? '')}
            onChange={(event) => chooseAction(event.target.value)}
            className={control}
          >
            <option value="">All actions</option>
            {actionGroups.map((group) => (
              <optgroup key={group} label={group}>
                {knownActions
                  .filter((action) => action.group === group)
                  .map((action) => (
                    <option key={action.code} value={action.code}>
                      {action.label}
                    </option>
                  ))}
              </optgroup>
            ))}
            <option value={OTHER_ACTION}>Other action…</option>
          </select>
        </div>
        {showActionCode ? (
          <div className={field}>
            <div className="flex items-baseline justify-between gap-2">
              <label htmlFor="audit-action-code" className={cn(label, 'whitespace-nowrap')}>
                Action code
              </label>
              <span id="audit-action-code-hint" className="truncate text-xs text-muted-foreground">
                Exact; press Enter
              </span>
            </div>
            <input
              id="audit-action-code"
              value={actionCode}
              onChange={(event) => setActionCode(event.target.value)}
              aria-describedby="audit-action-code-hint"
              placeholder="e.g. member.invited"
              maxLength={100}
              autoComplete="off"
              spellCheck={false}
              className={cn(control, 'font-mono')}
            />
          </div>
        ) : null}
        <div className={field}>
          <label htmlFor="audit-target-type" className={label}>
            Target type
          </label>
          <select
            id="audit-target-type"
            value={filters.targetType ?? ''}
            onChange={(event) => apply({ targetType: event.target.value || undefined, targetId: undefined })}
            className={control}
          >
            <option value="">All targets</option>
            {knownTargetTypes.map((type) => (
              <option key={type.code} value={type.code}>
                {type.label}
              </option>
            ))}
            {unknownTargetType ? <option value={filters.targetType}>{targetTypeLabel(filters.targetType ?? '')}</option> : null}
          </select>
        </div>
        <fieldset className="grid min-w-64 flex-[2] basis-80 grid-cols-2 gap-2">
          <legend className={cn(label, 'mb-1.5')}>Date range (UTC)</legend>
          <div className="flex flex-col gap-1">
            <label htmlFor="audit-from" className="text-xs text-muted-foreground">
              From
            </label>
            <input
              id="audit-from"
              type="date"
              value={utcDayOf(filters.from)}
              max={utcDayOf(filters.to) || undefined}
              onChange={(event) => apply({ from: event.target.value ? dayStartUtc(event.target.value) : undefined })}
              className={control}
            />
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor="audit-to" className="text-xs text-muted-foreground">
              To
            </label>
            <input
              id="audit-to"
              type="date"
              value={utcDayOf(filters.to)}
              min={utcDayOf(filters.from) || undefined}
              onChange={(event) => apply({ to: event.target.value ? dayEndUtc(event.target.value) : undefined })}
              className={control}
            />
          </div>
        </fieldset>
      </div>

      {hasFilters(filters) ? (
        <div className="flex flex-wrap items-center gap-2 border-t pt-3">
          {filters.actorId || filters.targetId ? (
            <ul aria-label="Actor and target filters" className="flex flex-wrap gap-2">
              {filters.actorId ? (
                <FilterChip name="Actor" value={actorLabel ?? filters.actorId} onRemove={() => apply({ actorId: undefined })} />
              ) : null}
              {filters.targetId ? (
                <FilterChip name="Target" value={targetLabel ?? filters.targetId} onRemove={() => apply({ targetId: undefined })} />
              ) : null}
            </ul>
          ) : null}
          <Button
            variant="ghost"
            size="sm"
            className="ml-auto"
            onClick={() => {
              setChoosingOther(false);
              onClear();
            }}
          >
            <X aria-hidden="true" />
            Clear filters
          </Button>
        </div>
      ) : null}
    </form>
  );
}
