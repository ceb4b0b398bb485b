import { useLayoutEffect, useRef, type ReactNode } from 'react';
import { Skeleton } from '@/components/ui/skeleton';
import { useWideLayout } from '@/components/ui/use-wide-layout';
import { cn } from '@/lib/cn';
import './data-table-cards.css';

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
  /** Columns whose header is right-aligned, as their numbers are (amounts). */
  numericColumns?: readonly string[];
  /** The content of the header of a narrow first column, such as a "select all" box over row checkboxes; no such column when null. */
  leading?: ReactNode;
  /** A last, unnamed column for each row's buttons (screen readers hear "Actions"). */
  actions?: boolean;
  /** What the last column's header says to screen readers ("Actions" by default). */
  actionsLabel?: string;
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
  /** Force a layout (tests, previews); by default cards below the `md` breakpoint, a table from it on. */
  layout?: 'table' | 'cards';
}

type CellKind = { cell: 'leading' | 'primary' | 'actions' } | { label: string };

/**
 * Marks each body cell for the cards layout: the leading cell, the first column (the card's
 * title), the labelled cells and the buttons. The rows are the pages' own `<tr>`s, so this is
 * done on the DOM after each render; the explicit roles keep the table's semantics, which
 * `display: block` would otherwise drop in some browsers.
 */
function markCards(body: HTMLTableSectionElement, kinds: readonly CellKind[]) {
  for (const row of Array.from(body.rows)) {
    row.setAttribute('role', 'row');
    Array.from(row.cells).forEach((cell, index) => {
      const kind = kinds[index];
      cell.setAttribute('role', cell.tagName === 'TH' ? 'rowheader' : 'cell');
      if (!kind) return;
      if ('label' in kind) {
        cell.setAttribute('data-label', kind.label);
        cell.removeAttribute('data-cell');
      } else {
        cell.setAttribute('data-cell', kind.cell);
        cell.removeAttribute('data-label');
      }
    });
  }
}

/**
 * The table of a list page: a hidden caption, a header row of column names, and the rows or
 * their skeleton while loading. On narrow screens (below `md`) the same rows show as a list of
 * cards: the first column as the title, every other cell with its column name, buttons last, so
 * status and amounts stay in view and the page never scrolls sideways.
 */
export function DataTable<T>({
  caption,
  columns,
  numericColumns = [],
  leading = null,
  actions = false,
  actionsLabel = 'Actions',
  rows,
  renderRow,
  loadingLabel,
  skeleton,
  fetching,
  stale = false,
  layout,
}: DataTableProps<T>) {
  const hasLeading = leading !== null && leading !== undefined;
  const wide = useWideLayout();
  const cards = (layout ?? (wide ? 'table' : 'cards')) === 'cards';
  const body = useRef<HTMLTableSectionElement>(null);
  useLayoutEffect(() => {
    if (!cards || !body.current) return;
    const kinds: CellKind[] = [
      ...(hasLeading ? [{ cell: 'leading' as const }] : []),
      ...columns.map((label, index): CellKind => (index === 0 ? { cell: 'primary' } : { label })),
      ...(actions ? [{ cell: 'actions' as const }] : []),
    ];
    markCards(body.current, kinds);
  });
  return (
    <>
      {rows === undefined ? (
        <p role="status" className="sr-only">
          {loadingLabel}
        </p>
      ) : null}
      {/* relative: the header's sr-only text is positioned inside this scroll box, not beside the page. */}
      <div className={cn('relative', !cards && 'overflow-x-auto')}>
        <table
          className={cn('w-full text-sm', cards && 'data-table-cards')}
          aria-busy={fetching}
          data-layout={cards ? 'cards' : 'table'}
          role={cards ? 'table' : undefined}
        >
          <caption className="sr-only">{caption}</caption>
          {cards ? null : (
            <thead className="border-b bg-muted/40">
              <tr>
                {hasLeading ? (
                  <th scope="col" className="w-10 px-4 py-2.5">
                    {leading}
                  </th>
                ) : null}
                {columns.map((column) => (
                  <th key={column} scope="col" className={cn(headerCell, numericColumns.includes(column) && 'text-right')}>
                    {column}
                  </th>
                ))}
                {actions ? (
                  <th scope="col" className={headerCell}>
                    <span className="sr-only">{actionsLabel}</span>
                  </th>
                ) : null}
              </tr>
            </thead>
          )}
          {cards && hasLeading ? (
            // The "select all" box stays reachable above the cards.
            <tbody role="rowgroup" className="block border-b bg-muted/40">
              <tr role="row" className="flex items-center gap-3 px-4 py-2">
                <td role="cell" className="block">
                  {leading}
                </td>
              </tr>
            </tbody>
          ) : null}
          <tbody ref={body} role={cards ? 'rowgroup' : undefined} className={cn('divide-y', stale && 'opacity-60')}>
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
