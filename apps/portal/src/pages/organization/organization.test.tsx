import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { OrganizationDomain, OrganizationProfile } from '@cbp/contracts';
import { ApiError } from '@/lib/axios';
import {
  addDomain,
  getDomains,
  getOrganization,
  getOrganizationSettings,
  removeDomain,
  updateOrganization,
  updateOrganizationSettings,
  verifyDomain,
} from '@/services/organization.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { acmeProfile, organizationSettings as settings, pendingDomain as pending } from '@/test/organization-fixtures';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/organization.service');

const profile: OrganizationProfile = { ...acmeProfile, billingEmail: 'billing@acme.example', address: { ...acmeProfile.address, city: 'Berlin', country: 'DE' } };
const verified: OrganizationDomain = {
  ...pending,
  id: '22222222-2222-4222-8222-222222222222',
  domain: 'acme-group.example',
  status: 'verified',
  verifiedAt: '2026-12-02T10:00:00.000Z',
  lastCheckedAt: '2026-12-02T10:00:00.000Z',
};

const problem = (status: number, detail: string, errors?: { path: string; message: string }[]) =>
  new ApiError(detail, status, { type: 'about:blank', title: 'Invalid request', status, code: status === 400 ? 'VALIDATION_FAILED' : 'CONFLICT', detail, errors });

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getOrganization).mockResolvedValue(profile);
  vi.mocked(getOrganizationSettings).mockResolvedValue(settings);
  vi.mocked(getDomains).mockResolvedValue([pending, verified]);
});

const profileForm = async () => within(await screen.findByRole('form', { name: 'Organization profile' }));
const settingsForm = async () => within(await screen.findByRole('form', { name: 'Organization settings' }));

describe('Organization profile form', () => {
  it('lets an admin edit the profile and sends the contract body (blank clears a field)', async () => {
    signInAs('admin');
    vi.mocked(updateOrganization).mockImplementation(async (patch) => ({ ...profile, legalName: 'Acme Corporation GmbH', address: { ...profile.address, city: null }, ...(patch.name ? { name: patch.name } : {}) }));
    renderPortal('/organization');
    const form = await profileForm();
    expect(form.getByLabelText('Billing email')).toHaveValue('billing@acme.example');
    await userEvent.type(form.getByLabelText(/^Legal name/), 'Acme Corporation GmbH');
    await userEvent.clear(form.getByLabelText('City'));
    await userEvent.click(form.getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(updateOrganization).toHaveBeenCalled());
    expect(vi.mocked(updateOrganization).mock.calls[0]?.[0]).toMatchObject({
      name: 'Acme Corp',
      legalName: 'Acme Corporation GmbH',
      billingEmail: 'billing@acme.example',
      address: { city: null, country: 'DE' },
      website: null,
    });
    expect(await screen.findByText('Organization profile saved.')).toBeInTheDocument();
  });

  it('shows the contract’s messages on the fields before sending anything', async () => {
    signInAs('admin');
    renderPortal('/organization');
    const form = await profileForm();
    await userEvent.clear(form.getByLabelText('Billing email'));
    await userEvent.type(form.getByLabelText('Billing email'), 'not-an-email');
    await userEvent.type(form.getByLabelText(/^Website/), 'ftp://acme.example');
    await userEvent.click(form.getByRole('button', { name: 'Save profile' }));
    expect(await form.findByText('Billing email must be an email address.')).toBeInTheDocument();
    expect(form.getByText('Website must be an http(s) address, e.g. https://acme.example.')).toBeInTheDocument();
    expect(form.getByLabelText('Billing email')).toHaveAttribute('aria-invalid', 'true');
    expect(updateOrganization).not.toHaveBeenCalled();
  });

  it("puts the API's field errors on the fields", async () => {
    signInAs('owner');
    vi.mocked(updateOrganization).mockRejectedValue(problem(400, 'Invalid body.address.country.', [{ path: 'body.address.country', message: 'Country must be an ISO 3166-1 alpha-2 code, e.g. DE or US.' }]));
    renderPortal('/organization');
    const form = await profileForm();
    await userEvent.click(form.getByRole('button', { name: 'Save profile' }));
    expect(await form.findByText('Country must be an ISO 3166-1 alpha-2 code, e.g. DE or US.')).toBeInTheDocument();
    expect(form.getByLabelText(/^Country/)).toHaveAttribute('aria-invalid', 'true');
  });

  it('shows analysts and engineers read-only forms with a note, and no save buttons', async () => {
    signInAs('analyst');
    renderPortal('/organization');
    const form = await profileForm();
    expect(form.getByLabelText('Billing email')).toBeDisabled();
    expect(form.queryByRole('button', { name: 'Save profile' })).not.toBeInTheDocument();
    expect(screen.getByText('Only admins and owners can change the profile. You can read it.')).toBeInTheDocument();
    const settingsView = await settingsForm();
    expect(settingsView.getByLabelText(/^Timezone/)).toBeDisabled();
    expect(screen.getByText('Only admins and owners can change the settings. You can read it.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add domain' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Remove/ })).not.toBeInTheDocument();
  });

  it('shows an error with a retry when the profile cannot be loaded', async () => {
    signInAs('admin');
    // Failing until retried: the deletion banner of the app shell reads the same query (it may fetch first).
    vi.mocked(getOrganization).mockRejectedValue(new ApiError('The database is unavailable right now; retry in a few seconds.', 503));
    renderPortal('/organization');
    expect(await screen.findByText("We couldn't load the organization profile")).toBeInTheDocument();
    vi.mocked(getOrganization).mockResolvedValue(profile);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await profileForm()).toBeTruthy();
  });
});

describe('Organization settings form', () => {
  it('sends the settings with the sign-up domains as a list', async () => {
    signInAs('admin');
    vi.mocked(updateOrganizationSettings).mockImplementation(async (body) => ({ ...settings, ...body }));
    renderPortal('/organization');
    const form = await settingsForm();
    await userEvent.clear(form.getByLabelText(/^Timezone/));
    await userEvent.type(form.getByLabelText(/^Timezone/), 'Europe/Berlin');
    await userEvent.selectOptions(form.getByLabelText(/^Default role/), 'engineer');
    await userEvent.click(form.getByLabelText('Require two-step verification'));
    await userEvent.type(form.getByLabelText(/^Allowed sign-up email domains/), 'acme.example{enter}acme-group.example');
    await userEvent.click(form.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(updateOrganizationSettings).toHaveBeenCalled());
    expect(vi.mocked(updateOrganizationSettings).mock.calls[0]?.[0]).toEqual({
      ...settings,
      timezone: 'Europe/Berlin',
      defaultRole: 'engineer',
      mfaRequired: true,
      allowedSignupDomains: ['acme.example', 'acme-group.example'],
    });
    expect(within(form.getByLabelText(/^Default role/)).queryByRole('option', { name: 'Owner' })).not.toBeInTheDocument();
  });

  it('refuses an unknown timezone and an out-of-range timeout on their fields', async () => {
    signInAs('admin');
    renderPortal('/organization');
    const form = await settingsForm();
    await userEvent.clear(form.getByLabelText(/^Timezone/));
    await userEvent.type(form.getByLabelText(/^Timezone/), 'Mars/Olympus');
    await userEvent.clear(form.getByLabelText(/^Session timeout/));
    await userEvent.type(form.getByLabelText(/^Session timeout/), '2');
    await userEvent.click(form.getByRole('button', { name: 'Save settings' }));
    expect(await form.findByText('Timezone must be an IANA time zone, e.g. Europe/Berlin.')).toBeInTheDocument();
    expect(form.getByText('Session timeout is at least 5 minutes.')).toBeInTheDocument();
    expect(updateOrganizationSettings).not.toHaveBeenCalled();
  });
});

describe('Domains', () => {
  it('lists domains with status badges and shows the TXT record of a pending one', async () => {
    signInAs('admin');
    renderPortal('/organization');
    const rows = await screen.findAllByTestId('domain-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0] as HTMLElement).getByTestId('domain-status')).toHaveTextContent('Pending');
    expect(within(rows[1] as HTMLElement).getByTestId('domain-status')).toHaveTextContent('Verified');
    expect(within(rows[0] as HTMLElement).getByTestId('txt-name')).toHaveTextContent('_cbp-verification.acme.example');
    expect(within(rows[0] as HTMLElement).getByTestId('txt-value')).toHaveTextContent(pending.verificationRecord.value);
    expect(within(rows[1] as HTMLElement).queryByTestId('txt-value')).not.toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).queryByRole('button', { name: /Verify now/ })).not.toBeInTheDocument();
  });

  it('shows an empty state without domains', async () => {
    signInAs('admin');
    vi.mocked(getDomains).mockResolvedValue([]);
    renderPortal('/organization');
    expect(await screen.findByTestId('domains-empty')).toHaveTextContent('No domains yet');
  });

  it('adds a domain and shows its TXT record in the dialog; a malformed one shows the field error', async () => {
    signInAs('admin');
    vi.mocked(addDomain).mockRejectedValueOnce(problem(400, '"nope" is not a domain name.', [{ path: 'body.domain', message: 'Enter a domain name such as acme.example (no IP addresses, at least two labels).' }]));
    vi.mocked(addDomain).mockResolvedValueOnce({ ...pending, id: '33333333-3333-4333-8333-333333333333', domain: 'new.example', verificationRecord: { type: 'TXT', name: '_cbp-verification.new.example', value: 'cbp-verify-new' } });
    renderPortal('/organization');
    await userEvent.click(await screen.findByRole('button', { name: 'Add domain' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Add a domain' }));
    await userEvent.type(dialog.getByLabelText('Domain'), 'nope');
    await userEvent.click(dialog.getByRole('button', { name: 'Add domain' }));
    expect(await dialog.findByText('Enter a domain name such as acme.example (no IP addresses, at least two labels).')).toBeInTheDocument();
    expect(dialog.getByLabelText('Domain')).toHaveAttribute('aria-invalid', 'true');

    await userEvent.clear(dialog.getByLabelText('Domain'));
    await userEvent.type(dialog.getByLabelText('Domain'), 'New.Example');
    await userEvent.click(dialog.getByRole('button', { name: 'Add domain' }));
    const done = within(await screen.findByRole('dialog', { name: 'Verify new.example' }));
    expect(done.getByTestId('txt-name')).toHaveTextContent('_cbp-verification.new.example');
    expect(done.getByTestId('txt-value')).toHaveTextContent('cbp-verify-new');
    expect(done.getByRole('button', { name: /Copy the record value for new.example/ })).toBeInTheDocument();
    expect(addDomain).toHaveBeenLastCalledWith('New.Example');
  });

  it('verifies a domain and shows the result: not yet, then verified', async () => {
    signInAs('admin');
    vi.mocked(verifyDomain).mockResolvedValueOnce({
      domain: { ...pending, lastCheckedAt: '2026-12-03T10:00:00.000Z' },
      verified: false,
      message: 'No TXT record _cbp-verification.acme.example was found yet. DNS changes can take a while to appear.',
    });
    vi.mocked(verifyDomain).mockResolvedValueOnce({ domain: { ...pending, status: 'verified', verifiedAt: '2026-12-03T11:00:00.000Z' }, verified: true, message: 'The TXT record holds the token.' });
    renderPortal('/organization');
    const row = within((await screen.findAllByTestId('domain-row'))[0] as HTMLElement);
    await userEvent.click(row.getByRole('button', { name: /Verify now/ }));
    expect(await row.findByText('Not verified yet')).toBeInTheDocument();
    expect(row.getByText(/No TXT record _cbp-verification.acme.example was found yet/)).toBeInTheDocument();
    await userEvent.click(row.getByRole('button', { name: /Verify now/ }));
    expect(await row.findByText('acme.example is verified')).toBeInTheDocument();
    expect(verifyDomain).toHaveBeenCalledWith(pending.id);
  });

  it('removes a domain after confirmation', async () => {
    signInAs('admin');
    vi.mocked(removeDomain).mockResolvedValue();
    renderPortal('/organization');
    const row = within((await screen.findAllByTestId('domain-row'))[1] as HTMLElement);
    await userEvent.click(row.getByRole('button', { name: /Remove/ }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Remove acme-group.example?' }));
    expect(removeDomain).not.toHaveBeenCalled();
    await userEvent.click(dialog.getByRole('button', { name: 'Remove domain' }));
    await waitFor(() => expect(removeDomain).toHaveBeenCalledWith(verified.id));
    expect(await screen.findByText('acme-group.example was removed.')).toBeInTheDocument();
  });
});
