import { beforeEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/lib/axios';
import { addPaymentMethod, createLocalCardPaymentMethod, createSetupIntent, getPaymentMethods } from '@/services/payment-methods.service';
import { resetOidcDouble } from '@/test/oidc-double';
import { cardMethod, localSetupIntent } from '@/test/payment-method-fixtures';
import { renderPortal } from '@/test/render-portal';
import { signInAs } from '@/test/sign-in';

vi.mock('@/lib/oidc', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  ...(await import('@/test/oidc-double')).oidcDouble,
}));
vi.mock('@/services/session.service');
vi.mock('@/services/payment-methods.service');

// Stripe Elements stand-in: the real one needs Stripe's servers.
const { confirmSetup } = vi.hoisted(() => ({ confirmSetup: vi.fn() }));
vi.mock('@stripe/stripe-js/pure', () => ({ loadStripe: vi.fn(async () => ({})) }));
vi.mock('@stripe/react-stripe-js', () => ({
  Elements: ({ children }: { children: React.ReactNode }) => children,
  PaymentElement: () => <div data-testid="payment-element">Stripe card field</div>,
  useStripe: () => ({ confirmSetup }),
  useElements: () => ({ elements: true }),
}));

const PATH = '/billing/payment-methods/new';
const futureYear = new Date().getFullYear() + 3;
const futureExpiry = `12${String(futureYear % 100).padStart(2, '0')}`;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;


function problem(status: number, code: string, detail: string) {
  return new ApiError(detail, status, { type: 'about:blank', title: 'Request refused', status, code, detail });
}

const visa = cardMethod('visa', '4242', { isDefault: true });
const input = (label: string) => screen.getByLabelText(label);

async function openForm() {
  const result = renderPortal(PATH);
  await screen.findByRole('form', { name: 'Card details' });
  return result;
}

async function fillCard({ number = '4242424242424242', expiry = futureExpiry, cvc = '123', postalCode = '10115', name = '' } = {}) {
  const user = userEvent.setup();
  if (number) await user.type(input('Card number'), number);
  if (expiry) await user.type(input('Expiration date'), expiry);
  if (cvc) await user.type(input('Security code'), cvc);
  if (postalCode) await user.type(input('Postal code'), postalCode);
  if (name) await user.type(input('Name on card (optional)'), name);
  return user;
}

const save = () => userEvent.click(screen.getByRole('button', { name: 'Save card' }));

beforeEach(() => {
  resetOidcDouble();
  signInAs('owner');
  vi.mocked(getPaymentMethods).mockResolvedValue([visa]);
  vi.mocked(createSetupIntent).mockResolvedValue(localSetupIntent);
  vi.mocked(createLocalCardPaymentMethod).mockResolvedValue('pm_local_new');
  vi.mocked(addPaymentMethod).mockReset();
});

describe('/billing/payment-methods/new with the local gateway', () => {
  it('spaces the number as it is typed and shows the brand; American Express is 4-6-5 with a 4-digit code', async () => {
    await openForm();
    const user = userEvent.setup();
    const number = input('Card number');

    await user.type(number, '42424242424242429999');
    expect(number).toHaveValue('4242 4242 4242 4242');
    expect(screen.getByTestId('detected-brand')).toHaveTextContent('Visa');
    await user.type(input('Security code'), '1234');
    expect(input('Security code')).toHaveValue('123');

    await user.clear(number);
    await user.type(number, '378282246310005');
    expect(number).toHaveValue('3782 822463 10005');
    expect(screen.getByTestId('detected-brand')).toHaveTextContent('American Express');
    expect(input('Security code')).toHaveAccessibleDescription('4 digits on the front of the card');
    await user.type(input('Security code'), '4');
    expect(input('Security code')).toHaveValue('1234');

    await user.type(input('Expiration date'), futureExpiry);
    expect(input('Expiration date')).toHaveValue(`12 / ${futureExpiry.slice(2)}`);
  });

  it('checks a field when it is left, with the message tied to the field, and clears it once fixed', async () => {
    await openForm();
    const user = userEvent.setup();
    const number = input('Card number');

    await user.type(number, '4242424242424241');
    expect(screen.queryByTestId('number-error')).not.toBeInTheDocument();
    await user.tab();
    expect(screen.getByTestId('number-error')).toHaveTextContent('Your card number is invalid.');
    expect(number).toHaveAttribute('aria-invalid', 'true');
    expect(number).toHaveAccessibleDescription('Your card number is invalid.');

    await user.type(number, '{Backspace}2');
    expect(screen.queryByTestId('number-error')).not.toBeInTheDocument();
    expect(number).not.toHaveAttribute('aria-invalid');
  });

  it('checks every field on submit (Luhn, expiry in the past, security code length) and sends nothing', async () => {
    await openForm();
    await fillCard({ number: '4242424242424241', expiry: '0120', cvc: '12', postalCode: '' });
    await save();

    expect(screen.getByTestId('number-error')).toHaveTextContent('Your card number is invalid.');
    expect(screen.getByTestId('expiry-error')).toHaveTextContent("Your card's expiration date is in the past.");
    expect(screen.getByTestId('cvc-error')).toHaveTextContent("Your card's security code is incomplete.");
    expect(screen.getByTestId('postalCode-error')).toHaveTextContent('Enter your postal code.');
    expect(input('Expiration date')).toHaveAccessibleDescription("MM / YY Your card's expiration date is in the past.");
    expect(input('Security code')).toHaveAttribute('aria-invalid', 'true');
    expect(input('Name on card (optional)')).not.toHaveAttribute('aria-invalid');
    expect(input('Card number')).toHaveFocus();
    expect(createLocalCardPaymentMethod).not.toHaveBeenCalled();
    expect(addPaymentMethod).not.toHaveBeenCalled();
  });

  it('adds the card, as the default when asked, then shows the list with it', async () => {
    const mastercard = cardMethod('mastercard', '4444', { isDefault: true, stripePaymentMethodId: 'pm_local_new' });
    vi.mocked(addPaymentMethod).mockImplementation(async () => {
      vi.mocked(getPaymentMethods).mockResolvedValue([mastercard, { ...visa, isDefault: false }]);
      return mastercard;
    });
    const { currentUrl } = await openForm();
    const makeDefault = await screen.findByRole('checkbox', { name: 'Make this my default payment method' });
    expect(makeDefault).not.toBeChecked();
    expect(makeDefault).toBeEnabled();

    const user = await fillCard({ number: '5555555555554444', name: 'Olivia Owner' });
    await user.click(makeDefault);
    await save();

    expect(createLocalCardPaymentMethod).toHaveBeenCalledWith({
      number: '5555555555554444',
      expMonth: 12,
      expYear: futureYear,
      cvc: '123',
      postalCode: '10115',
      name: 'Olivia Owner',
    });
    expect(addPaymentMethod).toHaveBeenCalledWith({ stripePaymentMethodId: 'pm_local_new', setAsDefault: true }, expect.stringMatching(uuid));
    expect(await screen.findByText('Mastercard •••• 4444 was added as your default payment method.')).toBeInTheDocument();
    const added = await screen.findByRole('region', { name: 'Mastercard ending in 4444' });
    expect(within(added).getByTestId('default-badge')).toBeInTheDocument();
    expect(currentUrl()).toBe('/billing/payment-methods');
  });

  it('makes the first card the default whatever is chosen', async () => {
    vi.mocked(getPaymentMethods).mockResolvedValue([]);
    vi.mocked(addPaymentMethod).mockResolvedValue(cardMethod('visa', '4242', { isDefault: true }));
    await openForm();

    const makeDefault = await screen.findByRole('checkbox', { name: 'Make this my default payment method' });
    await vi.waitFor(() => expect(makeDefault).toBeDisabled());
    expect(makeDefault).toBeChecked();
    expect(makeDefault).toHaveAccessibleDescription('Your first payment method is always the default.');
    await fillCard();
    await save();
    expect(addPaymentMethod).toHaveBeenCalledWith({ stripePaymentMethodId: 'pm_local_new', setAsDefault: true }, expect.stringMatching(uuid));
  });

  it('shows a decline at the top of the form, adds nothing and stays on the form', async () => {
    vi.mocked(addPaymentMethod).mockRejectedValue(problem(402, 'CARD_DECLINED', 'Your card was declined.'));
    const { currentUrl, queryClient } = await openForm();
    await fillCard({ number: '4000000000000002' });
    await save();

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Your card was not added');
    expect(alert).toHaveTextContent('Your card was declined.');
    expect(alert).not.toHaveTextContent('Saving again is safe');
    expect(alert).toHaveFocus();
    expect(currentUrl()).toBe(PATH);
    expect(input('Card number')).toHaveValue('4000 0000 0000 0002');
    expect(addPaymentMethod).toHaveBeenCalledTimes(1);
    expect(screen.queryByText(/•••• 0002 was added/)).not.toBeInTheDocument();
    // The card number stays in the form: nothing of it is kept in React Query's caches.
    const cached = queryClient.getMutationCache().getAll().map((m) => m.state.variables);
    expect(cached).toEqual([{ setAsDefault: false }]);
    expect(JSON.stringify(queryClient.getQueryCache().getAll().map((q) => q.state.data))).not.toContain('0002');
  });

  it('sends the same Idempotency-Key again after a network error, and a new one for the next attempt', async () => {
    vi.mocked(addPaymentMethod)
      .mockRejectedValueOnce(new ApiError('Cannot reach the CBP API. Check your connection and try again.', 0))
      .mockRejectedValueOnce(problem(402, 'INSUFFICIENT_FUNDS', 'Your card has insufficient funds.'))
      .mockResolvedValueOnce(cardMethod('visa', '4242'));
    await openForm();
    await fillCard();

    await save();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Cannot reach the CBP API.');
    expect(alert).toHaveTextContent('Saving again is safe: the card will not be added twice.');
    await save();
    expect(await screen.findByRole('alert')).toHaveTextContent('Your card has insufficient funds.');
    await save();
    await screen.findByText('Visa •••• 4242 was added.');

    const keys = vi.mocked(addPaymentMethod).mock.calls.map(([, key]) => key);
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    // The retry resends the PaymentMethod it had; the new attempt tokenises the card again.
    expect(createLocalCardPaymentMethod).toHaveBeenCalledTimes(2);
  });

  it('starts a new attempt when the card is changed after a network error', async () => {
    vi.mocked(addPaymentMethod)
      .mockRejectedValueOnce(new ApiError('Cannot reach the CBP API. Check your connection and try again.', 0))
      .mockResolvedValueOnce(cardMethod('mastercard', '4444'));
    await openForm();
    const user = await fillCard();
    await save();
    await screen.findByRole('alert');

    await user.clear(input('Card number'));
    await user.type(input('Card number'), '5555555555554444');
    await save();
    await screen.findByText('Mastercard •••• 4444 was added.');
    const keys = vi.mocked(addPaymentMethod).mock.calls.map(([, key]) => key);
    expect(keys[1]).not.toBe(keys[0]);
    expect(createLocalCardPaymentMethod).toHaveBeenLastCalledWith(expect.objectContaining({ number: '5555555555554444' }));
  });

  it("puts the gateway's refusal of the number under the number field", async () => {
    const sentence = 'The local payment gateway accepts Stripe test cards only, such as 4242 4242 4242 4242.';
    vi.mocked(createLocalCardPaymentMethod).mockRejectedValue(problem(422, 'NOT_A_TEST_CARD', sentence));
    await openForm();
    await fillCard({ number: '4111111111111111' });
    await save();

    expect(await screen.findByTestId('number-error')).toHaveTextContent(sentence);
    expect(input('Card number')).toHaveFocus();
    expect(screen.queryByTestId('card-refusal')).not.toBeInTheDocument();
    expect(addPaymentMethod).not.toHaveBeenCalled();
  });

  it('lists the test cards in a collapsed hint', async () => {
    await openForm();
    const hint = screen.getByTestId('test-cards');
    expect(hint).not.toHaveAttribute('open');
    expect(hint).toHaveTextContent('4242 4242 4242 4242');
    expect(hint).toHaveTextContent('4000 0000 0000 0002Declined');
    expect(hint).toHaveTextContent('4000 0000 0000 0341Saved, then every payment is declined');
  });
});

describe('/billing/payment-methods/new, other cases', () => {
  it('collects the card with Stripe Elements when the API uses Stripe, and saves the confirmed method', async () => {
    vi.mocked(createSetupIntent).mockResolvedValue({ ...localSetupIntent, gateway: 'stripe', publishableKey: 'pk_test_123' });
    vi.mocked(addPaymentMethod).mockResolvedValue(cardMethod('mastercard', '4444'));
    confirmSetup.mockResolvedValue({ setupIntent: { payment_method: 'pm_from_elements' } });
    renderPortal(PATH);

    expect(await screen.findByTestId('payment-element')).toBeInTheDocument();
    expect(screen.queryByLabelText('Card number')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Save card' }));

    expect(confirmSetup).toHaveBeenCalledWith({ elements: { elements: true }, redirect: 'if_required' });
    await vi.waitFor(() =>
      expect(addPaymentMethod).toHaveBeenCalledWith({ stripePaymentMethodId: 'pm_from_elements', setAsDefault: false }, expect.stringMatching(uuid)),
    );
  });

  it("shows Stripe's decline inline and saves nothing", async () => {
    vi.mocked(createSetupIntent).mockResolvedValue({ ...localSetupIntent, gateway: 'stripe', publishableKey: 'pk_test_123' });
    confirmSetup.mockResolvedValue({ error: { message: 'Your card was declined.' } });
    renderPortal(PATH);

    await userEvent.click(await screen.findByRole('button', { name: 'Save card' }));
    expect(await screen.findByTestId('card-refusal')).toHaveTextContent('Your card was declined.');
    expect(addPaymentMethod).not.toHaveBeenCalled();
  });

  it('shows an error with a retry when the setup intent cannot be created', async () => {
    vi.mocked(createSetupIntent).mockRejectedValueOnce(new ApiError('The payment gateway is unavailable.', 503));
    renderPortal(PATH);

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("We couldn't prepare the card form");
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('form', { name: 'Card details' })).toBeInTheDocument();
  });

  it('explains to other roles that only owners manage payment methods, without asking the API', async () => {
    signInAs('admin');
    renderPortal(PATH);

    expect(await screen.findByTestId('payment-methods-explanation')).toHaveTextContent(
      'Only an owner can see and manage payment methods; your role is Admin.',
    );
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
    expect(createSetupIntent).not.toHaveBeenCalled();
    expect(getPaymentMethods).not.toHaveBeenCalled();
  });
});
