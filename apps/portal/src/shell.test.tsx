import { describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Shell, type AppModule } from '@/shell';

function FakeApp() {
  return <h1>Dashboard</h1>;
}

describe('Shell', () => {
  it('shows the loading frame while the portal loads, then the portal in its place', async () => {
    let loaded!: (module: AppModule) => void;
    const app = new Promise<AppModule>((resolve) => (loaded = resolve));
    await act(async () => render(<Shell app={app} />));
    expect(screen.getByRole('status', { name: 'Loading…' })).toBeVisible();

    await act(async () => loaded({ App: FakeApp }));
    expect(screen.getByRole('heading', { name: 'Dashboard' })).toBeInTheDocument();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('offers a reload when the portal cannot be loaded', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const reload = vi.fn();
    vi.spyOn(window, 'location', 'get').mockReturnValue({ ...window.location, reload });
    const app = Promise.reject(new TypeError('Failed to fetch dynamically imported module'));
    await act(async () => render(<Shell app={app} />));

    expect(screen.getByRole('alert')).toHaveTextContent('The portal could not be loaded');
    await userEvent.click(screen.getByRole('button', { name: 'Reload' }));
    expect(reload).toHaveBeenCalled();
    consoleError.mockRestore();
  });
});
