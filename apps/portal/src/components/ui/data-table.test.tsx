import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { DataTable, TableHeading } from '@/components/ui/data-table';

interface Fruit {
  id: string;
  name: string;
}

const columns = ['Name', 'Colour'] as const;

function Table({ rows, leading = null, actions = false }: { rows: readonly Fruit[] | undefined; leading?: string | null; actions?: boolean }) {
  return (
    <DataTable
      caption="Fruit, page 1 of 1"
      columns={columns}
      leading={leading}
      actions={actions}
      rows={rows}
      renderRow={(fruit) => (
        <tr key={fruit.id} data-testid="fruit-row">
          <td>{fruit.name}</td>
        </tr>
      )}
      loadingLabel="Loading fruit…"
      skeleton={{ rows: 3, className: 'min-w-12' }}
      fetching={rows === undefined}
    />
  );
}

describe('DataTable', () => {
  it('announces the loading and shows skeleton rows, one cell per column, until the rows arrive', () => {
    render(<Table rows={undefined} leading="all" actions />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading fruit…');
    const table = screen.getByRole('table', { name: 'Fruit, page 1 of 1' });
    expect(table).toHaveAttribute('aria-busy', 'true');
    const [header, ...body] = within(table).getAllByRole('row');
    expect(within(header!).getAllByRole('columnheader').map((cell) => cell.textContent)).toEqual(['all', 'Name', 'Colour', 'Actions']);
    expect(body).toHaveLength(3);
    for (const row of body) expect(within(row).getAllByRole('cell')).toHaveLength(4);
    expect(screen.queryByTestId('fruit-row')).not.toBeInTheDocument();
  });

  it('shows the rows, and neither skeleton nor announcement, once loaded', () => {
    render(
      <Table
        rows={[
          { id: '1', name: 'Apple' },
          { id: '2', name: 'Pear' },
        ]}
      />,
    );
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
    expect(screen.getByRole('table')).toHaveAttribute('aria-busy', 'false');
    expect(screen.getAllByRole('columnheader').map((cell) => cell.textContent)).toEqual(['Name', 'Colour']);
    expect(screen.getAllByTestId('fruit-row').map((row) => row.textContent)).toEqual(['Apple', 'Pear']);
    expect(screen.getAllByRole('row')).toHaveLength(3);
  });
});

describe('TableHeading', () => {
  it('titles the list and shows its count in a polite live region once known', () => {
    const { rerender } = render(<TableHeading title="Fruit" count={undefined} countTestId="fruit-count" />);
    expect(screen.getByRole('heading', { level: 2, name: 'Fruit' })).toBeInTheDocument();
    expect(screen.queryByTestId('fruit-count')).not.toBeInTheDocument();
    rerender(<TableHeading title="Fruit" count="2 fruits" countTestId="fruit-count" />);
    expect(screen.getByTestId('fruit-count')).toHaveTextContent('2 fruits');
    expect(screen.getByTestId('fruit-count')).toHaveAttribute('aria-live', 'polite');
  });
});
