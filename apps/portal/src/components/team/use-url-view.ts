import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router';

/**
 * A list's view kept in the URL, and a way to change it. Changes build on the last URL asked
 * for, not the last one rendered: the router commits in a transition, and two quick changes
 * (a debounced search, then a filter) must not lose one.
 */
export function useUrlView<View>(read: (params: URLSearchParams) => View, write: (view: View) => URLSearchParams) {
  const [searchParams, setSearchParams] = useSearchParams();
  const latest = useRef(searchParams);
  useEffect(() => {
    latest.current = searchParams;
  }, [searchParams]);
  const update = (change: (current: View) => View) => {
    const next = write(change(read(latest.current)));
    latest.current = next;
    setSearchParams(next);
  };
  return [read(searchParams), update] as const;
}
