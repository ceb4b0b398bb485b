import { cn } from '@/lib/cn';

/** The look of every native select in the portal. */
export const selectControl =
  'h-9 rounded-md border border-input bg-card px-3 text-sm shadow-xs focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring disabled:cursor-not-allowed disabled:opacity-60';

export interface FilterOption<T extends string> {
  value: T;
  label: string;
}

interface FilterSelectProps<T extends string> {
  id: string;
  label: string;
  /** The chosen value; undefined selects the "all" option. */
  value: T | undefined;
  options: readonly FilterOption<T>[];
  /** Label of a first option with the empty value, which turns the filter off ("All statuses"); none when omitted. */
  allLabel?: string;
  /** Called with the chosen option's value, or undefined for the "all" option. */
  onChange: (value: T | undefined) => void;
  /** Classes of the label-and-select column, for its width in a row of filters. */
  className?: string;
}

/** A labelled native select over a fixed set of values, such as a filter kept in the URL's search params. */
export function FilterSelect<T extends string>({ id, label, value, options, allLabel, onChange, className }: FilterSelectProps<T>) {
  return (
    <div className={cn('flex flex-col gap-1.5', className)}>
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <select
        id={id}
        value={value ?? ''}
        onChange={(event) => onChange(options.find((option) => option.value === event.target.value)?.value)}
        className={cn(selectControl, 'w-full')}
      >
        {allLabel === undefined ? null : <option value="">{allLabel}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
