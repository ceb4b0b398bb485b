import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { getPaymentMethods, removePaymentMethod, setAsDefault } from '@/services/payment-methods.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { cardMethod } from '@/test/payment-method-fixtures';
import { renderPortal } from '@/test/render-portal';
import type { PaymentMethod } from '@/types/payment-method';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/payment-methods.service');


function refusal(status: number, code: string, detail: string) {
  return new ApiError(detail, status, { type: 'about:blank', title: 'Business rule violated', status, code, detail });
}

const visa = cardMethod('visa', '4242', { isDefault: true });
const mastercard = cardMethod('mastercard', '4444');

/** Answers like the API: whatever the list holds now, default first. */
function serve(list: PaymentMethod[]) {
  vi.mocked(getPaymentMethods).mockImplementation(async () => [...list].sort((a, b) => Number(b.isDefault) - Number(a.isDefault)));
}

const cardNamed = (name: string) => screen.getByRole('region', { name });

beforeEach(() => {
  resetOidcDouble();
  signInAs('owner');
  serve([visa, mastercard]);
});

describe('/billing/payment-methods', () => {
  it('lists the cards with brand, last digits, expiry and which one is the default', async () => {
    renderPortal('/billing/payment-methods');

    expect(await screen.findByRole('heading', { level: 1, name: 'Payment methods' })).toBeInTheDocument();
    const list = await screen.findByRole('list', { name: 'Payment methods' });
    expect(within(list).getAllByTestId('payment-method-card')).toHaveLength(2);
    const first = cardNamed('Visa ending in 4242');
    expect(first).toHaveTextContent('Visa •••• 4242');
    expect(first).toHaveTextContent(/Expires \d\d\/\d\d · Olivia Owner/);
    expect(within(first).getByTestId('default-badge')).toHaveTextContent('Default');
    expect(within(first).queryByRole('button', { name: /Make default/ })).not.toBeInTheDocument();
    expect(within(first).getByText('Credit')).toBeInTheDocument();
    const second = cardNamed('Mastercard ending in 4444');
    expect(within(second).queryByTestId('default-badge')).not.toBeInTheDocument();
    expect(within(second).getByRole('button', { name: 'Make default Mastercard ending in 4444' })).toBeEnabled();
    expect(screen.getByRole('link', { name: 'Add payment method' })).toHaveAttribute('href', '/billing/payment-methods/new');
    expect(document.title).toBe('Payment methods · CBP Portal');
    const nav = screen.getByRole('navigation', { name: 'Billing' });
    expect(within(nav).getByRole('link', { name: 'Payment methods' })).toHaveAttribute('aria-current', 'page');
  });

  it('marks expired cards and cards expiring within two months, in words as well as colour', async () => {
    serve([
      cardMethod('visa', '0001', { isDefault: true, expiresIn: -1 }),
      cardMethod('amex', '0005', { expiresIn: 0 }),
      cardMethod('discover', '1117', { expiresIn: 2 }),
      cardMethod('mastercard', '4444', { expiresIn: 3 }),
    ]);
    renderPortal('/billing/payment-methods');

    const expired = await screen.findByRole('region', { name: 'Visa ending in 0001' });
    expect(within(expired).getByTestId('expired-badge')).toHaveTextContent('Expired');
    expect(expired).toHaveTextContent(/Expired \d\d\/\d\d/);
    expect(expired).toHaveTextContent("Invoices can't be charged to an expired card.");
    expect(within(expired).getByTestId('default-badge')).toBeInTheDocument();
    for (const name of ['American Express ending in 0005', 'Discover ending in 1117']) {
      expect(within(cardNamed(name)).getByTestId('expiring-soon-badge')).toHaveTextContent('Expires soon');
      expect(within(cardNamed(name)).queryByTestId('expired-badge')).not.toBeInTheDocument();
    }
    const later = cardNamed('Mastercard ending in 4444');
    expect(within(later).queryByTestId('expiring-soon-badge')).not.toBeInTheDocument();
    expect(within(later).queryByTestId('expired-badge')).not.toBeInTheDocument();
  });

  it('shows an empty state with a way to add the first card', async () => {
    serve([]);
    renderPortal('/billing/payment-methods');

    const empty = await screen.findByTestId('payment-methods-empty');
    expect(within(empty).getByRole('heading', { name: 'No payment method yet' })).toBeInTheDocument();
    expect(within(empty).getByRole('link', { name: 'Add payment method' })).toHaveAttribute('href', '/billing/payment-methods/new');
    // One way to add, not two.
    expect(screen.getAllByRole('link', { name: 'Add payment method' })).toHaveLength(1);
  });

  it('shows skeletons while loading, then an error with a retry', async () => {
    let fail: (error: Error) => void = () => {};
    vi.mocked(getPaymentMethods).mockReturnValueOnce(new Promise((_, reject) => (fail = reject)));
    renderPortal('/billing/payment-methods');

    expect(await screen.findByTestId('payment-methods-loading')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Loading payment methods…');
    await vi.waitFor(() => expect(getPaymentMethods).toHaveBeenCalled());
    fail(new ApiError('Cannot reach the CBP API. Check your connection and try again.', 0));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't load your payment methods");
    expect(alert).toHaveTextContent('Cannot reach the CBP API.');
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('list', { name: 'Payment methods' })).toBeInTheDocument();
  });

  it.each([
    ['admin', 'Admin'],
    ['analyst', 'Analyst'],
  ] as const)('explains to an %s that only owners see payment methods, without asking the API', async (role, name) => {
    signInAs(role);
    renderPortal('/billing/payment-methods');

    expect(await screen.findByTestId('payment-methods-explanation')).toHaveTextContent(
      `Only an owner can see and manage payment methods; your role is ${name}.`,
    );
    expect(screen.queryByRole('list', { name: 'Payment methods' })).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Add payment method' })).not.toBeInTheDocument();
    expect(getPaymentMethods).not.toHaveBeenCalled();
  });

  it('makes another card the default and shows it first', async () => {
    const list = [{ ...visa }, { ...mastercard }];
    serve(list);
    vi.mocked(setAsDefault).mockImplementation(async (id) => {
      for (const method of list) method.isDefault = method.id === id;
      return { ...mastercard, isDefault: true };
    });
    renderPortal('/billing/payment-methods');

    await userEvent.click(await screen.findByRole('button', { name: 'Make default Mastercard ending in 4444' }));
    expect(setAsDefault).toHaveBeenCalledWith(mastercard.id);
    expect(await screen.findByText('Mastercard •••• 4444 is now your default payment method.')).toBeInTheDocument();
    await vi.waitFor(() => expect(within(cardNamed('Mastercard ending in 4444')).getByTestId('default-badge')).toBeInTheDocument());
    expect(within(cardNamed('Visa ending in 4242')).queryByTestId('default-badge')).not.toBeInTheDocument();
    const cards = within(screen.getByRole('list', { name: 'Payment methods' })).getAllByTestId('payment-method-card');
    expect(cards[0]).toHaveAccessibleName('Mastercard ending in 4444');
  });

  it('keeps the remove dialog open with the API sentence when removing the default is refused', async () => {
    const sentence = 'Visa •••• 4242 is your default payment method. Make another method the default before removing it.';
    vi.mocked(removePaymentMethod).mockRejectedValue(refusal(422, 'DEFAULT_PAYMENT_METHOD', sentence));
    renderPortal('/billing/payment-methods');

    await userEvent.click(await screen.findByRole('button', { name: 'Remove Visa ending in 4242' }));
    const dialog = await screen.findByRole('dialog', { name: 'Remove Visa •••• 4242?' });
    expect(dialog).toHaveTextContent('It is your default payment method');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove card' }));

    expect(removePaymentMethod).toHaveBeenCalledWith(visa.id);
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('The card was not removed');
    expect(alert).toHaveTextContent(sentence);
    expect(screen.getByRole('dialog')).toBeInTheDocument();

    // The card stays; closing and opening again starts clean.
    await userEvent.click(within(dialog).getByRole('button', { name: 'Keep card' }));
    expect(within(cardNamed('Visa ending in 4242')).getByTestId('default-badge')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Remove Visa ending in 4242' }));
    expect(within(await screen.findByRole('dialog')).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('removes a card after confirmation', async () => {
    const list = [{ ...visa }, { ...mastercard }];
    serve(list);
    vi.mocked(removePaymentMethod).mockImplementation(async (id) => {
      list.splice(list.findIndex((m) => m.id === id), 1);
    });
    renderPortal('/billing/payment-methods');

    await userEvent.click(await screen.findByRole('button', { name: 'Remove Mastercard ending in 4444' }));
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Remove card' }));

    expect(await screen.findByText('Mastercard •••• 4444 was removed.')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    await vi.waitFor(() => expect(screen.queryByRole('region', { name: 'Mastercard ending in 4444' })).not.toBeInTheDocument());
    expect(cardNamed('Visa ending in 4242')).toBeInTheDocument();
    // Its Remove button went with the card: the focus stays in the page, not on <body>.
    await vi.waitFor(() => expect(screen.getByRole('main')).toHaveFocus());
  });
});
