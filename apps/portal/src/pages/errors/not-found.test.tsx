import { beforeEach, expect, it, vi } from 'vitest';
import { screen } from '@testing-library/react';
import { getCurrentTenant, getMe, getPlans } from '@/services/session.service';
import { acme, meWith, membership, proPlan } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getMe).mockResolvedValue(meWith(membership(acme, 'analyst')));
  vi.mocked(getCurrentTenant).mockResolvedValue(acme);
  vi.mocked(getPlans).mockResolvedValue([proPlan]);
});

it('answers an unknown address with a 404 page inside the portal', async () => {
  renderPortal('/no/such/page');
  expect(await screen.findByRole('heading', { level: 1, name: 'Page not found' })).toBeInTheDocument();
  expect(screen.getByRole('navigation', { name: 'Main' })).toBeInTheDocument();
});
