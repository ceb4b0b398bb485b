import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { oidcDouble, resetOidcDouble, userManagerDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');

beforeEach(() => {
  resetOidcDouble();
  userManagerDouble.getUser.mockResolvedValue(null);
});

describe('/login', () => {
  it('sends signed-out visitors of a portal page to /login, and back there after signing in', async () => {
    renderPortal('/team');
    await userEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(oidcDouble.startLogin).toHaveBeenCalledWith('/team');
  });

  it('shows the error the identity provider sent back', async () => {
    renderPortal('/login?error=The%20sign-in%20was%20cancelled.');
    expect(await screen.findByRole('heading', { level: 1, name: 'CBP Portal' })).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('The sign-in was cancelled.');
  });

  it('shows no error on a plain visit', async () => {
    renderPortal('/login');
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeEnabled();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
