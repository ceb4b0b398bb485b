import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FilterSelect } from '@/components/ui/filter-select';

const options = [
  { value: 'pending', label: 'Pending' },
  { value: 'expired', label: 'Expired' },
] as const;

describe('FilterSelect', () => {
  it('labels a native select, lists "all" first, and shows "all" when no value is chosen', () => {
    render(<FilterSelect id="status" label="Status" value={undefined} options={options} allLabel="All statuses" onChange={() => {}} />);
    const select = screen.getByLabelText('Status');
    expect(select.tagName).toBe('SELECT');
    expect(screen.getAllByRole('option').map((option) => option.textContent)).toEqual(['All statuses', 'Pending', 'Expired']);
    expect(select).toHaveValue('');
  });

  it('passes the chosen value, and undefined for "all"', async () => {
    const onChange = vi.fn();
    render(<FilterSelect id="status" label="Status" value="expired" options={options} allLabel="All statuses" onChange={onChange} />);
    const select = screen.getByLabelText('Status');
    expect(select).toHaveValue('expired');
    await userEvent.selectOptions(select, 'Pending');
    expect(onChange).toHaveBeenLastCalledWith('pending');
    await userEvent.selectOptions(select, 'All statuses');
    expect(onChange).toHaveBeenLastCalledWith(undefined);
  });

  it('has no "all" option without an allLabel', () => {
    render(<FilterSelect id="range" label="Range" value="pending" options={options} onChange={() => {}} />);
    expect(screen.getAllByRole('option').map((option) => option.textContent)).toEqual(['Pending', 'Expired']);
  });
});
