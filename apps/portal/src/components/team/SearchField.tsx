import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Search } from 'lucide-react';
import { cn } from '@/lib/cn';

/** How long typing pauses before the list follows it. */
const SEARCH_DEBOUNCE_MS = 300;

const filterControl =
  'h-9 w-full rounded-md border border-input bg-card px-3 text-sm shadow-xs focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring';

interface SearchFieldProps {
  id: string;
  label: string;
  placeholder: string;
  /** The search in the URL. */
  value: string;
  onSearch: (value: string | undefined) => void;
}

/**
 * A search box whose text reaches the URL once typing pauses (or on Enter). Its draft follows
 * the URL when that changes under it (a cleared filter, the browser's Back).
 */
export function SearchField({ id, label, placeholder, value, onSearch }: SearchFieldProps) {
  const [draft, setDraft] = useState(value);
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setDraft(value);
  }
  const search = useRef(onSearch);
  useEffect(() => {
    search.current = onSearch;
  });
  useEffect(() => {
    if (draft.trim() === value) return;
    const timer = setTimeout(() => search.current(draft.trim() || undefined), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [draft, value]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (draft.trim() !== value) onSearch(draft.trim() || undefined);
  };

  return (
    <form role="search" onSubmit={submit} className="flex min-w-56 flex-[2] basis-64 flex-col gap-1.5">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <div className="relative">
        <Search className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden="true" />
        <input
          id={id}
          type="search"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder={placeholder}
          maxLength={200}
          autoComplete="off"
          className={cn(filterControl, 'pl-9')}
        />
      </div>
    </form>
  );
}
