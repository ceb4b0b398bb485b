import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Inbox } from 'lucide-react';
import { EmptyState } from '@/components/ui/empty-state';

describe('EmptyState', () => {
  it('says why the list is empty and offers the way back', async () => {
    const onAction = vi.fn();
    render(<EmptyState icon={Inbox} title="No members match" body="Try fewer filters." action="Clear filters" onAction={onAction} testId="empty" />);
    expect(screen.getByRole('heading', { level: 2, name: 'No members match' })).toBeInTheDocument();
    expect(screen.getByTestId('empty')).toHaveTextContent('Try fewer filters.');
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(onAction).toHaveBeenCalledOnce();
  });

  it('has no button without an action, and takes extra classes when it stands alone', () => {
    render(<EmptyState icon={Inbox} title="No API keys yet" body="Create one." testId="empty" className="rounded-xl border" />);
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
    expect(screen.getByTestId('empty')).toHaveClass('rounded-xl', 'border', 'px-6', 'py-12');
  });
});
