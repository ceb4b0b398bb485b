import { useEffect, useId, useRef, useState, type ChangeEvent, type ComponentProps, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { AlertCircle, AlertTriangle, Lock } from 'lucide-react';
import { cardBrandName, cvcLength, detectCardBrand, digitsOf, formatCardNumber } from '@/components/billing/card-brands';
import {
  cardErrorsFromProblem,
  cardFieldError,
  cardFields,
  emptyCardForm,
  formatExpiry,
  toLocalCardRequest,
  validateCardForm,
  type CardField,
  type CardFormErrors,
  type CardFormValues,
} from '@/components/billing/card-validation';
import { CardBrandMark } from '@/components/billing/CardBrandMark';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button, buttonVariants } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { isRetryableAddError, type AddPaymentMethodHandle } from '@/hooks/use-payment-methods';
import { errorMessage, problemFromError } from '@/lib/axios';
import { cn } from '@/lib/cn';
import { createLocalCardPaymentMethod } from '@/services/payment-methods.service';

/** Stripe's test cards, which the local gateway accepts in place of real ones. */
const testCards = [
  { number: '4242 4242 4242 4242', result: 'Visa, succeeds' },
  { number: '5555 5555 5555 4444', result: 'Mastercard, succeeds' },
  { number: '3782 822463 10005', result: 'American Express, succeeds' },
  { number: '6011 1111 1111 1117', result: 'Discover, succeeds' },
  { number: '4000 0000 0000 0002', result: 'Declined' },
  { number: '4000 0000 0000 9995', result: 'Declined: insufficient funds' },
  { number: '4000 0000 0000 0069', result: 'Declined: expired card' },
  { number: '4000 0025 0000 3155', result: 'Requires authentication (refused here)' },
  { number: '4000 0000 0000 0341', result: 'Saved, then every payment is declined' },
] as const;

function TestCardsHint() {
  return (
    <details className="rounded-lg border bg-muted/40 px-4 py-3 text-sm" data-testid="test-cards">
      <summary className="cursor-pointer font-medium">Test cards for the local payment gateway</summary>
      <p className="mt-2 text-muted-foreground">
        This server uses CBP's local payment gateway, which accepts Stripe's test cards only. Use any future expiry date, any
        security code and any postal code.
      </p>
      <ul className="mt-2 grid gap-x-6 gap-y-1 sm:grid-cols-[auto_1fr]">
        {testCards.map((card) => (
          <li key={card.number} className="contents">
            <code className="font-mono tabular-nums">{card.number}</code>
            <span className="mb-1 text-muted-foreground sm:mb-0">{card.result}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

interface CardInputProps extends Omit<ComponentProps<'input'>, 'id' | 'onChange' | 'onBlur' | 'value'> {
  field: CardField;
  label: string;
  error: string | undefined;
  value: string;
  hint?: string;
  onValue: (event: ChangeEvent<HTMLInputElement>) => void;
  onLeave: (field: CardField) => void;
  adornment?: ReactNode;
}

/** A labelled input whose error (and hint) it announces through aria-describedby. */
function CardInput({ field, label, error, hint, onValue, onLeave, adornment, className, ...props }: CardInputProps) {
  const id = `card-${field}${useId()}`;
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={cn('flex flex-col gap-1.5', className)}>
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <div className="relative">
        <Input
          id={id}
          name={field}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          onChange={onValue}
          onBlur={() => onLeave(field)}
          className={adornment ? 'pr-16' : undefined}
          {...props}
        />
        {adornment ? <span className="pointer-events-none absolute inset-y-0 right-2 flex items-center">{adornment}</span> : null}
      </div>
      {hint ? (
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="flex gap-1.5 text-sm text-red-700 dark:text-red-300" data-testid={`${field}-error`}>
          <AlertCircle className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
          {error}
        </p>
      ) : null}
    </div>
  );
}

function withError(errors: CardFormErrors, field: CardField, error: string | null): CardFormErrors {
  const next = { ...errors };
  if (error) next[field] = error;
  else delete next[field];
  return next;
}

/** Where the caret goes after reformatting: just after the same number of digits as before. */
function caretAfterDigits(formatted: string, digits: number): number {
  if (digits === 0) return 0;
  let seen = 0;
  for (let i = 0; i < formatted.length; i++) {
    if (/\d/.test(formatted[i] ?? '')) seen++;
    if (seen === digits) return i + 1;
  }
  return formatted.length;
}

interface LocalCardFormProps {
  save: AddPaymentMethodHandle;
  isFirstMethod: boolean;
}

/**
 * The local gateway's card form, made to behave like Stripe Elements: the number is spaced as on
 * the card and its brand shown while typing, fields are checked when left and on submit. The card
 * number lives in this component's state only and is sent once, to the local gateway.
 */
export function LocalCardForm({ save, isFirstMethod }: LocalCardFormProps) {
  const [values, setValues] = useState<CardFormValues>(emptyCardForm);
  const [errors, setErrors] = useState<CardFormErrors>({});
  const [makeDefault, setMakeDefault] = useState(false);
  const [refusal, setRefusal] = useState<unknown>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const refusalRef = useRef<HTMLDivElement>(null);
  const brand = detectCardBrand(values.number);
  const cvcDigits = cvcLength(brand);

  useEffect(() => {
    if (refusal) refusalRef.current?.focus();
  }, [refusal]);

  const update = (changes: Partial<CardFormValues>) => {
    const next = { ...values, ...changes };
    setValues(next);
    save.forgetAttempt();
    // A shown error follows the fix as it is typed; new errors wait until the field is left.
    setErrors((current) => {
      let updated = current;
      for (const field of Object.keys(changes) as CardField[]) {
        if (current[field]) updated = withError(updated, field, cardFieldError(field, next, new Date()));
      }
      return updated;
    });
  };

  const leave = (field: CardField) => {
    // Tabbing through empty fields is not a mistake yet; submitting is.
    if (!values[field]) return;
    setErrors((current) => withError(current, field, cardFieldError(field, values, new Date())));
  };

  const changeNumber = (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.target;
    const caret = input.selectionStart ?? input.value.length;
    const typedAtEnd = caret === input.value.length;
    const digitsBeforeCaret = digitsOf(input.value.slice(0, caret)).length;
    const number = formatCardNumber(input.value);
    update({ number, cvc: values.cvc.slice(0, cvcLength(detectCardBrand(number))) });
    if (!typedAtEnd) {
      // An edit in the middle keeps the caret where it was, not at the end after reformatting.
      requestAnimationFrame(() => {
        const position = caretAfterDigits(number, digitsBeforeCaret);
        input.setSelectionRange(position, position);
      });
    }
  };

  const focusFirst = (found: CardFormErrors) => {
    const first = cardFields.find((field) => found[field]);
    const input = first ? formRef.current?.elements.namedItem(first) : null;
    if (input instanceof HTMLInputElement) input.focus();
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = validateCardForm(values, new Date());
    setErrors(found);
    setRefusal(null);
    if (Object.keys(found).length > 0) {
      focusFirst(found);
      return;
    }
    const card = toLocalCardRequest(values);
    save.add(
      { setAsDefault: isFirstMethod || makeDefault, obtainPaymentMethodId: () => createLocalCardPaymentMethod(card) },
      {
        onError: (error) => {
          const fieldErrors = cardErrorsFromProblem(problemFromError(error));
          if (fieldErrors) {
            setErrors(fieldErrors);
            focusFirst(fieldErrors);
          } else {
            setRefusal(error);
          }
        },
      },
    );
  };

  const fieldProps = (field: CardField) => ({
    field,
    value: values[field],
    error: errors[field],
    onLeave: leave,
  });

  return (
    <form ref={formRef} noValidate onSubmit={submit} className="space-y-5" aria-label="Card details">
      {refusal ? (
        <Alert variant="destructive" role="alert" ref={refusalRef} tabIndex={-1} className="outline-none" data-testid="card-refusal">
          <AlertTriangle aria-hidden="true" />
          <div>
            <AlertTitle>Your card was not added</AlertTitle>
            <AlertDescription>{errorMessage(refusal)}</AlertDescription>
            {isRetryableAddError(refusal) ? (
              <p className="mt-1 text-xs opacity-90">Saving again is safe: the card will not be added twice.</p>
            ) : null}
          </div>
        </Alert>
      ) : null}

      <TestCardsHint />

      <div className="grid gap-4 sm:grid-cols-2">
        <CardInput
          {...fieldProps('number')}
          label="Card number"
          className="sm:col-span-2"
          inputMode="numeric"
          autoComplete="cc-number"
          placeholder="1234 1234 1234 1234"
          maxLength={23}
          onValue={changeNumber}
          adornment={
            <span className="flex items-center gap-2" data-testid="detected-brand">
              <CardBrandMark brand={brand} className="h-6 w-9 text-[8px]" />
              <span className="sr-only" aria-live="polite">
                {brand ? cardBrandName(brand) : ''}
              </span>
            </span>
          }
        />
        <CardInput
          {...fieldProps('expiry')}
          label="Expiration date"
          hint="MM / YY"
          inputMode="numeric"
          autoComplete="cc-exp"
          placeholder="MM / YY"
          maxLength={7}
          onValue={(event) => update({ expiry: formatExpiry(event.target.value) })}
        />
        <CardInput
          {...fieldProps('cvc')}
          label="Security code"
          hint={brand === 'amex' ? '4 digits on the front of the card' : '3 digits on the back of the card'}
          inputMode="numeric"
          autoComplete="cc-csc"
          placeholder={brand === 'amex' ? '1234' : '123'}
          maxLength={cvcDigits}
          onValue={(event) => update({ cvc: digitsOf(event.target.value).slice(0, cvcDigits) })}
        />
        <CardInput
          {...fieldProps('postalCode')}
          label="Postal code"
          autoComplete="postal-code"
          maxLength={12}
          onValue={(event) => update({ postalCode: event.target.value })}
        />
        <CardInput
          {...fieldProps('name')}
          label="Name on card (optional)"
          autoComplete="cc-name"
          maxLength={200}
          onValue={(event) => update({ name: event.target.value })}
        />
      </div>

      <div className="flex items-start gap-2.5">
        <input
          id="make-default"
          type="checkbox"
          className="mt-0.5 size-4 shrink-0 accent-primary disabled:opacity-60"
          checked={isFirstMethod || makeDefault}
          disabled={isFirstMethod}
          aria-describedby={isFirstMethod ? 'make-default-hint' : undefined}
          onChange={(event) => {
            setMakeDefault(event.target.checked);
            save.forgetAttempt();
          }}
        />
        <div className="text-sm">
          <label htmlFor="make-default" className="font-medium">
            Make this my default payment method
          </label>
          {isFirstMethod ? (
            <p id="make-default-hint" className="text-muted-foreground">
              Your first payment method is always the default.
            </p>
          ) : null}
        </div>
      </div>

      <p className="flex gap-2 text-xs text-muted-foreground">
        <Lock className="mt-px size-3.5 shrink-0" aria-hidden="true" />
        The card number goes to the payment gateway only. CBP keeps the brand, the last 4 digits and the expiry date.
      </p>

      <div className="flex flex-col-reverse gap-2 border-t pt-5 sm:flex-row sm:justify-end">
        <Link to="/billing/payment-methods" className={buttonVariants({ variant: 'outline' })}>
          Cancel
        </Link>
        <Button type="submit" disabled={save.isPending} aria-busy={save.isPending}>
          {save.isPending ? 'Saving card…' : 'Save card'}
        </Button>
      </div>
    </form>
  );
}
