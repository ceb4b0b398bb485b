import { useSyncExternalStore } from 'react';

/** Tailwind's `md` breakpoint: from here on, list pages show real tables. */
export const wideLayoutQuery = '(min-width: 768px)';

const mediaQuery = () => (typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia(wideLayoutQuery) : null);

function subscribe(onChange: () => void) {
  const query = mediaQuery();
  query?.addEventListener('change', onChange);
  return () => query?.removeEventListener('change', onChange);
}

/** True when the screen is at least `md` wide (or cannot tell, as in tests without matchMedia). */
export function useWideLayout(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => mediaQuery()?.matches ?? true,
    () => true,
  );
}
