import type { ReactNode } from 'react';
import { Skeleton } from '@/components/ui/skeleton';
import { cn } from '@/lib/cn';

/** A body cell of a list page's table. */
export const tableCell = 'px-4 py-3 whitespace-nowrap';
const headerCell = 'px-4 py-2.5 text-left text-xs font-medium whitespace-nowrap text-muted-foreground';

/** The title bar of a card that holds a list, with the live count of its items once it is known. */
export function TableHeading({ title, count, countTestId }: { title: string; count: string | undefined; countTestId: string }) {
  return (
    <div className="flex items-center justify-between border-b px-4 py-2.5">
      <h2 className="text-sm font-semibold">{title}</h2>
      {count === undefined ? null : (
        <p className="text-sm text-muted-foreground" aria-live="polite" data-testid={countTestId}>
          {count}
        </p>
      )}
    </div>
  );
}

export interface SkeletonRowsProps {
  rows: number;
  columns: number;
  /** Classes of each placeholder block, e.g. its minimum width. */
  className: string;
  cellClassName?: string;
}

/** Placeholder rows of a table whose rows are still loading; decorative, so screen readers skip them. */
export function SkeletonRows({ rows, columns, className, cellClassName = tableCell }: SkeletonRowsProps) {
  return (
    <>
      {Array.from({ length: rows }, (_, row) => (
        <tr key={row}>
          {Array.from({ length: columns }, (_, column) => (
            <td key={column} className={cellClassName}>
              <Skeleton className={cn('h-4 w-full', className)} />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}

interface DataTableProps<T> {
  /** Read by screen readers only, e.g. "Members, page 2 of 3". */
  caption: string;
  columns: readonly string[];
  /** The content of the header of a narrow first column, such as a "select all" box over row checkboxes; no such column when null. */
  leading?: ReactNode;
  /** A last, unnamed column for each row's buttons (screen readers hear "Actions"). */
  actions?: boolean;
  /** The rows; undefined until the first page loads, when skeleton rows stand in and `loadingLabel` is announced. */
  rows: readonly T[] | undefined;
  renderRow: (row: T) => ReactNode;
  loadingLabel: string;
  /** The number and look of the skeleton rows. */
  skeleton: Omit<SkeletonRowsProps, 'columns'>;
  /** A page is being fetched: the table is marked busy. */
  fetching: boolean;
  /** The rows are those of the previous view, kept while the next one loads: they are dimmed. */
  stale?: boolean;
}

/** The table of a list page: a hidden caption, a header row of column names, and the rows or their skeleton while loading. */
export function DataTable<T>({ caption, columns, leading = null, actions = false, rows, renderRow, loadingLabel, skeleton, fetching, stale = false }: DataTableProps<T>) {
  const hasLeading = leading !== null && leading !== undefined;
  return (
    <>
      {rows === undefined ? (
        <p role="status" className="sr-only">
          {loadingLabel}
        </p>
      ) : null}
      <div className="overflow-x-auto">
        <table className="w-full text-sm" aria-busy={fetching}>
          <caption className="sr-only">{caption}</caption>
          <thead className="border-b bg-muted/40">
            <tr>
              {hasLeading ? (
                <th scope="col" className="w-10 px-4 py-2.5">
                  {leading}
                </th>
              ) : null}
              {columns.map((column) => (
                <th key={column} scope="col" className={headerCell}>
                  {column}
                </th>
              ))}
              {actions ? (
                <th scope="col" className={headerCell}>
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody className={cn('divide-y', stale && 'opacity-60')}>
            {rows === undefined ? (
              <SkeletonRows {...skeleton} columns={columns.length + (hasLeading ? 1 : 0) + (actions ? 1 : 0)} />
            ) : (
              rows.map(renderRow)
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
