import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createApiKey, getApiKeys, getUsageStatus, revokeApiKey } from '@/services/usage.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { renderPortal } from '@/test/render-portal';
import { apiKey } from '@/test/usage-fixtures';
import type { ApiKey } from '@/types/usage';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/usage.service');

const SECRET = 'cbp_live_Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg';

const worker = apiKey('Billing worker', { lastUsedAt: '2026-06-13T09:00:00.000Z', createdBy: 'admin@acme.test' });
const oldKey = apiKey('Old importer', { revokedAt: '2026-06-01T08:00:00.000Z', createdBy: null });

/** Answers like the API: the list as it stands, newest first. */
function serveKeys(initial: ApiKey[]) {
  let keys = [...initial];
  vi.mocked(getApiKeys).mockImplementation(async () => keys);
  vi.mocked(createApiKey).mockImplementation(async (name) => {
    const created = apiKey(name, { createdAt: '2026-06-13T11:00:00.000Z', createdBy: 'ada@acme.test' });
    keys = [created, ...keys];
    return { ...created, secret: SECRET };
  });
  vi.mocked(revokeApiKey).mockImplementation(async (id) => {
    keys = keys.map((k) => (k.id === id ? { ...k, revokedAt: '2026-06-13T12:00:00.000Z' } : k));
  });
}


const rows = () => screen.getAllByTestId('api-key-row');
const rowOf = (name: string) => within(rows().find((row) => within(row).queryByRole('rowheader', { name })) as HTMLElement);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-06-13T12:00:00.000Z'));
  resetOidcDouble();
  signInAs('admin');
  vi.mocked(getUsageStatus).mockResolvedValue([]);
  serveKeys([worker, oldKey]);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('/usage/api-keys', () => {
  it('lists keys with their prefix, creator, dates and status; only active keys can be revoked', async () => {
    renderPortal('/usage/api-keys');
    expect(await screen.findByRole('heading', { level: 1, name: 'API keys' })).toBeInTheDocument();
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(within(screen.getByRole('table')).getAllByRole('columnheader').map((h) => h.textContent)).toEqual([
      'Name',
      'Key',
      'Created by',
      'Created',
      'Last used',
      'Status',
      'Actions',
    ]);
    expect(rowOf('Billing worker').getByText(worker.prefix)).toBeInTheDocument();
    expect(rowOf('Billing worker').getByText('admin@acme.test')).toBeInTheDocument();
    expect(rowOf('Billing worker').getByText('May 2, 2026')).toBeInTheDocument();
    expect(rowOf('Billing worker').getByText('3 hours ago')).toBeInTheDocument();
    expect(rowOf('Billing worker').getByText('Active')).toBeInTheDocument();
    expect(rowOf('Billing worker').getByRole('button', { name: 'Revoke Billing worker' })).toBeInTheDocument();
    expect(rowOf('Old importer').getByText('Revoked Jun 1, 2026')).toBeInTheDocument();
    expect(rowOf('Old importer').getByText('Never')).toBeInTheDocument();
    expect(rowOf('Old importer').queryByRole('button')).not.toBeInTheDocument();
    expect(within(screen.getByRole('navigation', { name: 'Usage' })).getByRole('link', { name: 'API keys' })).toHaveAttribute('aria-current', 'page');
  });

  it('shows the secret once, right after creating the key, with a copy button and a warning', async () => {
    const user = userEvent.setup();
    renderPortal('/usage/api-keys');
    await waitFor(() => expect(rows()).toHaveLength(2));

    await user.click(screen.getByRole('button', { name: 'Create API key' }));
    let dialog = await screen.findByRole('dialog', { name: 'Create API key' });
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));
    expect(within(dialog).getByText('Give the key a name of 1 to 100 characters.')).toBeInTheDocument();
    expect(createApiKey).not.toHaveBeenCalled();

    await user.type(within(dialog).getByLabelText('Name'), '  CI pipeline ');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));
    dialog = await screen.findByRole('dialog', { name: 'Your new API key' });
    expect(createApiKey).toHaveBeenCalledWith('CI pipeline');
    expect(within(dialog).getByLabelText('API key for CI pipeline')).toHaveValue(SECRET);
    expect(dialog).toHaveTextContent('Copy the key now: it is shown only once');

    await user.click(within(dialog).getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(within(dialog).getByRole('button', { name: 'Copied' })).toBeInTheDocument();

    await user.click(within(dialog).getByRole('button', { name: 'I have copied the key' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rowOf('CI pipeline').getByText('Active')).toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
    expect(screen.queryByDisplayValue(SECRET)).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Create API key' }));
    dialog = await screen.findByRole('dialog', { name: 'Create API key' });
    expect(within(dialog).getByLabelText('Name')).toHaveValue('');
    expect(screen.queryByDisplayValue(SECRET)).not.toBeInTheDocument();
  });

  it('revokes a key only after confirming', async () => {
    renderPortal('/usage/api-keys');
    await userEvent.click(await screen.findByRole('button', { name: 'Revoke Billing worker' }));
    const dialog = await screen.findByRole('dialog', { name: 'Revoke “Billing worker”?' });
    expect(dialog).toHaveTextContent(`Services sending the key ${worker.prefix} are refused from now on. This cannot be undone`);
    expect(revokeApiKey).not.toHaveBeenCalled();

    await userEvent.click(within(dialog).getByRole('button', { name: 'Keep key' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(revokeApiKey).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: 'Revoke Billing worker' }));
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Revoke key' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(revokeApiKey).toHaveBeenCalledWith(worker.id);
    await waitFor(() => expect(rowOf('Billing worker').getByText('Revoked Jun 13, 2026')).toBeInTheDocument());
    expect(rowOf('Billing worker').queryByRole('button')).not.toBeInTheDocument();
  });

  it.each(['analyst', 'engineer'] as const)('gives an %s the 403 view and no API keys tab, without asking for keys', async (role) => {
    signInAs(role);
    renderPortal('/usage/api-keys');
    expect(await screen.findByRole('heading', { level: 1, name: "You don't have access to this page" })).toBeInTheDocument();
    expect(screen.getByTestId('required-role')).toHaveTextContent('Admin or higher');
    expect(within(screen.getByRole('navigation', { name: 'Usage' })).queryByRole('link', { name: 'API keys' })).not.toBeInTheDocument();
    expect(getApiKeys).not.toHaveBeenCalled();
  });
});
