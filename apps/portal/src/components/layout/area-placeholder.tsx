import type { LucideIcon } from 'lucide-react';
import { PageHeader } from '@/components/layout/page-header';

interface AreaPlaceholderProps {
  title: string;
  icon: LucideIcon;
  /** One plain sentence: what this area will hold. */
  summary: string;
  /** What the area will let people do, taken from the API contract. */
  planned: readonly string[];
}

/** An honest page for an area that is not built yet: no sample data, just what is coming. */
export function AreaPlaceholder({ title, icon: Icon, summary, planned }: AreaPlaceholderProps) {
  return (
    <>
      <PageHeader title={title} description={summary} />
      <section
        aria-labelledby="planned-heading"
        className="rounded-xl border border-dashed bg-card/50 p-8 text-center sm:p-12"
      >
        <span className="mx-auto flex size-12 items-center justify-center rounded-full bg-muted">
          <Icon className="size-6 text-muted-foreground" aria-hidden="true" />
        </span>
        <h2 id="planned-heading" className="mt-4 text-base font-semibold">
          Not available yet
        </h2>
        <p className="mx-auto mt-1 max-w-md text-sm text-muted-foreground">
          This part of the portal is still being built. When it ships you will be able to:
        </p>
        <ul className="mx-auto mt-4 max-w-sm space-y-1.5 text-left text-sm">
          {planned.map((item) => (
            <li key={item} className="flex gap-2">
              <span aria-hidden="true" className="mt-2 size-1.5 shrink-0 rounded-full bg-primary" />
              {item}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
