/**
 * The full-page loading frame: the first thing the app shell paints (src/shell.tsx) and what the
 * routes show while a session is checked, so the page looks the same from first paint until
 * content. It imports no library (the shell's chunk stays small): the spinner is lucide's
 * loader-circle drawn inline.
 */
export function FullPageLoading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="flex min-h-dvh items-center justify-center">
      <p role="status" aria-label={label} className="flex items-center gap-2 text-sm text-muted-foreground">
        <svg
          xmlns="http://www.w3.org/2000/svg"
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
          className="size-4 animate-spin"
          aria-hidden="true"
        >
          <path d="M21 12a9 9 0 1 1-6.219-8.56" />
        </svg>
        {label}
      </p>
    </div>
  );
}
