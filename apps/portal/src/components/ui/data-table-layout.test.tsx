import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen, within } from '@testing-library/react';
import { DataTable } from '@/components/ui/data-table';
import { wideLayoutQuery } from '@/components/ui/use-wide-layout';

interface Invoice {
  id: string;
  number: string;
  status: string;
  amount: string;
}

const invoices: Invoice[] = [
  { id: '1', number: 'ACME-0006', status: 'Paid', amount: '$209.50' },
  { id: '2', number: 'ACME-0007', status: 'Open', amount: '$49.00' },
];

/** A screen of `width` px: matchMedia answers the `md` query as a browser of that width would, and can be resized. */
function screenOf(width: number) {
  let current = width;
  const listeners = new Set<() => void>();
  vi.stubGlobal('matchMedia', (query: string) => ({
    get matches() {
      return query === wideLayoutQuery ? current >= 768 : false;
    },
    media: query,
    addEventListener: (_: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => listeners.delete(listener),
  }));
  return {
    resize(next: number) {
      current = next;
      act(() => listeners.forEach((listener) => listener()));
    },
  };
}

function Invoices() {
  return (
    <DataTable
      caption="Invoices, page 1 of 1"
      columns={['Invoice', 'Status', 'Amount due']}
      numericColumns={['Amount due']}
      actions
      actionsLabel="Download"
      rows={invoices}
      renderRow={(invoice) => (
        <tr key={invoice.id} data-testid="invoice-row">
          <td>{invoice.number}</td>
          <td>{invoice.status}</td>
          <td>{invoice.amount}</td>
          <td>
            <button type="button">PDF</button>
          </td>
        </tr>
      )}
      loadingLabel="Loading invoices…"
      skeleton={{ rows: 2, className: 'min-w-12' }}
      fetching={false}
    />
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('DataTable layouts', () => {
  it('is a table with column headers on a wide screen', () => {
    screenOf(1440);
    render(<Invoices />);
    const table = screen.getByRole('table', { name: 'Invoices, page 1 of 1' });
    expect(table).toHaveAttribute('data-layout', 'table');
    expect(within(table).getAllByRole('columnheader').map((cell) => cell.textContent)).toEqual(['Invoice', 'Status', 'Amount due', 'Download']);
    expect(within(table).getByRole('columnheader', { name: 'Amount due' })).toHaveClass('text-right');
    expect(screen.getAllByTestId('invoice-row')[0]!.querySelector('[data-label]')).toBeNull();
  });

  it('is a list of cards on a phone: title, then each value with its column name, then the buttons', () => {
    screenOf(390);
    render(<Invoices />);
    const table = screen.getByRole('table', { name: 'Invoices, page 1 of 1' });
    expect(table).toHaveAttribute('data-layout', 'cards');
    expect(table).toHaveClass('data-table-cards');
    expect(within(table).queryAllByRole('columnheader')).toHaveLength(0);
    const rows = screen.getAllByTestId('invoice-row');
    expect(rows).toHaveLength(2);
    const cells = within(rows[0]!).getAllByRole('cell');
    expect(cells.map((cell) => [cell.getAttribute('data-cell'), cell.getAttribute('data-label'), cell.textContent])).toEqual([
      ['primary', null, 'ACME-0006'],
      [null, 'Status', 'Paid'],
      [null, 'Amount due', '$209.50'],
      ['actions', null, 'PDF'],
    ]);
    expect(within(rows[1]!).getByRole('button', { name: 'PDF' })).toBeInTheDocument();
  });

  it('switches layout when the screen is resized or turned', () => {
    const device = screenOf(390);
    render(<Invoices />);
    expect(screen.getByRole('table')).toHaveAttribute('data-layout', 'cards');
    device.resize(1024);
    expect(screen.getByRole('table')).toHaveAttribute('data-layout', 'table');
    expect(screen.getAllByRole('columnheader')).toHaveLength(4);
    device.resize(600);
    expect(screen.getByRole('table')).toHaveAttribute('data-layout', 'cards');
    expect(screen.getAllByTestId('invoice-row')[1]!.querySelector('[data-label="Amount due"]')).toHaveTextContent('$49.00');
  });
});
