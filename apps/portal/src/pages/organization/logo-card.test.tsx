import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getDomains, getLogo, getOrganization, getOrganizationSettings, removeLogo, uploadLogo } from '@/services/organization.service';
import { acme, membership } from '@/test/fixtures';
import { resetOidcDouble } from '@/test/oidc-double';
import { acmeProfile as profile, organizationSettings as settings } from '@/test/organization-fixtures';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/organization.service');

// jsdom has no object URLs: each Blob gets a distinct fake one.
const urls = new Map<Blob, string>();
const original = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
beforeAll(() => {
  URL.createObjectURL = (blob: Blob) => {
    const url = urls.get(blob) ?? `blob:test/${urls.size + 1}`;
    urls.set(blob, url);
    return url;
  };
  URL.revokeObjectURL = () => {};
});
afterAll(() => {
  URL.createObjectURL = original.create;
  URL.revokeObjectURL = original.revoke;
});

const png = (name = 'logo.png', bytes = 100) => new File([new Uint8Array(bytes)], name, { type: 'image/png' });
const saved = new Blob([new Uint8Array(10)], { type: 'image/png' });

beforeEach(() => {
  resetOidcDouble();
  vi.mocked(getOrganization).mockResolvedValue(profile);
  vi.mocked(getOrganizationSettings).mockResolvedValue(settings);
  vi.mocked(getDomains).mockResolvedValue([]);
  vi.mocked(getLogo).mockResolvedValue(null);
});

const logoCard = async () => within((await screen.findByRole('heading', { name: 'Logo' })).closest('section') as HTMLElement);

describe('Logo card and header logo', () => {
  it('shows the initials in the header without a logo; previews a picked file before saving, then shows it in the header', async () => {
    signInAs('admin');
    renderPortal('/organization');
    const banner = within(await screen.findByRole('banner'));
    expect(await banner.findByTestId('header-initials')).toHaveTextContent(membership(acme, 'admin').name.slice(0, 1).toUpperCase());
    const card = await logoCard();
    const file = png();
    await userEvent.upload(card.getByLabelText('Choose an image'), file);
    expect(card.getByRole('img', { name: 'Preview of the new logo' })).toHaveAttribute('src', urls.get(file));
    expect(uploadLogo).not.toHaveBeenCalled();

    vi.mocked(uploadLogo).mockResolvedValue({ etag: 'e'.repeat(64), contentType: 'image/png', sizeBytes: 10, width: 256, height: 256, updatedAt: '2026-12-04T10:00:00.000Z' });
    vi.mocked(getLogo).mockResolvedValue(saved);
    await userEvent.click(card.getByRole('button', { name: 'Save logo' }));
    await waitFor(() => expect(uploadLogo).toHaveBeenCalledWith(file));
    expect(await screen.findByText('Logo saved.')).toBeInTheDocument();
    expect(await banner.findByTestId('header-logo')).toHaveAttribute('src', urls.get(saved));
    expect(await card.findByRole('img', { name: 'Current logo' })).toBeInTheDocument();
  });

  it("shows the API's sentence when it refuses the file, and refuses a file over 1 MB before sending it", async () => {
    signInAs('admin');
    vi.mocked(uploadLogo).mockRejectedValue(
      new ApiError('x', 415, { type: 'about:blank', title: 'Unsupported Media Type', status: 415, code: 'BAD_REQUEST', detail: 'SVG logos are not accepted; upload PNG, JPEG or WebP.' }),
    );
    renderPortal('/organization');
    const card = await logoCard();
    await userEvent.upload(card.getByLabelText('Choose an image'), png('logo.png'));
    await userEvent.click(card.getByRole('button', { name: 'Save logo' }));
    expect(await card.findByText('SVG logos are not accepted; upload PNG, JPEG or WebP.')).toBeInTheDocument();
    expect(card.getByLabelText('Choose an image')).toHaveAttribute('aria-invalid', 'true');

    vi.mocked(uploadLogo).mockClear();
    await userEvent.upload(card.getByLabelText('Choose an image'), png('big.png', 2 * 1024 * 1024));
    expect(await card.findByText(/the maximum is 1 MB/)).toBeInTheDocument();
    expect(card.getByRole('button', { name: 'Save logo' })).toBeDisabled();
    expect(uploadLogo).not.toHaveBeenCalled();
  });

  it('removes the logo after confirmation; an analyst sees it read-only', async () => {
    signInAs('admin');
    vi.mocked(getLogo).mockResolvedValue(saved);
    vi.mocked(removeLogo).mockResolvedValue();
    const { unmount } = renderPortal('/organization');
    const card = await logoCard();
    await userEvent.click(await card.findByRole('button', { name: 'Remove logo' }));
    const dialog = within(await screen.findByRole('dialog', { name: 'Remove the logo?' }));
    vi.mocked(getLogo).mockResolvedValue(null);
    await userEvent.click(dialog.getByRole('button', { name: 'Remove logo' }));
    await waitFor(() => expect(removeLogo).toHaveBeenCalled());
    expect(await screen.findByText('Logo removed.')).toBeInTheDocument();
    unmount();

    signInAs('analyst');
    vi.mocked(getLogo).mockResolvedValue(saved);
    renderPortal('/organization');
    const readOnly = await logoCard();
    expect(await readOnly.findByRole('img', { name: 'Current logo' })).toBeInTheDocument();
    expect(readOnly.getByText('Only admins can change the logo.')).toBeInTheDocument();
    expect(readOnly.queryByLabelText('Choose an image')).not.toBeInTheDocument();
    expect(readOnly.queryByRole('button', { name: 'Remove logo' })).not.toBeInTheDocument();
  });
});
