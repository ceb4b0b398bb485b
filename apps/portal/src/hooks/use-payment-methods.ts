import { useRef } from 'react';
import { useCan } from '@refinedev/core';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useSession } from '@/hooks/use-session';
import { ApiError, problemFromError } from '@/lib/axios';
import { missingRoleExplanation } from '@/lib/role-parser';
import { addPaymentMethod, createSetupIntent, getPaymentMethods } from '@/services/payment-methods.service';
import type { PaymentMethod } from '@/types/payment-method';

/** Under the tenant, so a tenant switch refreshes them. The setup intent has its own key: refreshing the list must not create another one. */
export const paymentMethodKeys = {
  list: (tenantId: string | null) => ['tenant', tenantId, 'payment-methods'] as const,
  setupIntent: (tenantId: string | null) => ['tenant', tenantId, 'setup-intent'] as const,
};

export interface PaymentMethodAccess {
  /** False until Refine's access control has answered. */
  decided: boolean;
  canList: boolean;
  canCreate: boolean;
  canEdit: boolean;
  canDelete: boolean;
  /** Why the payment methods are not shown (null when they are, or while deciding). */
  explanation: string | null;
}

/** The `payment-methods` decisions of the shared RBAC table (owner only: the API answers 403 to anyone else, even for reading). */
export function usePaymentMethodAccess(): PaymentMethodAccess {
  const list = useCan({ resource: 'payment-methods', action: 'list' });
  const create = useCan({ resource: 'payment-methods', action: 'create' });
  const edit = useCan({ resource: 'payment-methods', action: 'edit' });
  const remove = useCan({ resource: 'payment-methods', action: 'delete' });
  const { role } = useSession();
  const decided = list.data !== undefined;
  const canList = list.data?.can === true;
  return {
    decided,
    canList,
    canCreate: create.data?.can === true,
    canEdit: edit.data?.can === true,
    canDelete: remove.data?.can === true,
    explanation:
      decided && !canList ? missingRoleExplanation(role, 'payment-methods', 'list', 'see and manage payment methods') : null,
  };
}

/** Saved methods, default first. Pass `enabled: false` for roles that may not read them, so nothing is asked. */
export function usePaymentMethods({ enabled }: { enabled: boolean }) {
  const { tenantId } = useSession();
  return useQuery({ queryKey: paymentMethodKeys.list(tenantId), queryFn: getPaymentMethods, enabled: enabled && tenantId !== null });
}

/** One SetupIntent per visit of the add form: created on open, never shared with a later visit. */
export function useSetupIntent() {
  const { tenantId } = useSession();
  return useQuery({
    queryKey: paymentMethodKeys.setupIntent(tenantId),
    queryFn: createSetupIntent,
    enabled: tenantId !== null,
    staleTime: Infinity,
    gcTime: 0,
  });
}

/** The list with `saved` in it, the default first. */
export function withPaymentMethod(list: PaymentMethod[] | undefined, saved: PaymentMethod): PaymentMethod[] {
  const others = (list ?? []).filter((m) => m.id !== saved.id).map((m) => (saved.isDefault ? { ...m, isDefault: false } : m));
  return saved.isDefault ? [saved, ...others] : [...others, saved];
}

/** The list with `id` removed. */
export function withoutPaymentMethod(list: PaymentMethod[] | undefined, id: string): PaymentMethod[] | undefined {
  return list?.filter((m) => m.id !== id);
}

/** Shows the change at once, then asks the API for the list as it now is. */
export async function updatePaymentMethodList(
  queryClient: QueryClient,
  tenantId: string | null,
  update: (list: PaymentMethod[] | undefined) => PaymentMethod[] | undefined,
): Promise<void> {
  const key = paymentMethodKeys.list(tenantId);
  queryClient.setQueryData<PaymentMethod[]>(key, update);
  await queryClient.invalidateQueries({ queryKey: key, exact: true });
}

export interface AddPaymentMethodInput {
  setAsDefault: boolean;
  /** Tokenises the card (Stripe Elements, or the local gateway); called once per attempt. */
  obtainPaymentMethodId: () => Promise<string>;
}

interface AddAttempt {
  idempotencyKey: string;
  paymentMethodId: string | null;
}

/** No answer, or the server failed or is still busy: the same attempt may succeed when sent again. */
export function isRetryableAddError(error: unknown): boolean {
  if (problemFromError(error)?.code === 'IDEMPOTENCY_IN_PROGRESS') return true;
  return error instanceof ApiError && (error.statusCode === 0 || error.statusCode >= 500);
}

/**
 * Adds a payment method with an Idempotency-Key per attempt. An attempt that failed on the way
 * (network, 5xx) is kept, so submitting again resends the same key and PaymentMethod id and the
 * card cannot be added twice; any other outcome, or `forgetAttempt()` (call it when the form
 * changes), starts the next submit afresh.
 */
export function useAddPaymentMethod({ onAdded }: { onAdded: (saved: PaymentMethod) => void }) {
  const { tenantId } = useSession();
  const queryClient = useQueryClient();
  const attempt = useRef<AddAttempt | null>(null);
  // The tokeniser closes over the card details: it is handed over here, never as mutation
  // variables, which React Query keeps in its cache.
  const tokenise = useRef<(() => Promise<string>) | null>(null);
  const mutation = useMutation({
    mutationFn: async ({ setAsDefault }: { setAsDefault: boolean }) => {
      const current = attempt.current ?? { idempotencyKey: crypto.randomUUID(), paymentMethodId: null };
      attempt.current = current;
      const obtainPaymentMethodId = tokenise.current;
      tokenise.current = null;
      try {
        if (!current.paymentMethodId) {
          if (!obtainPaymentMethodId) throw new Error('There is no card to save.');
          current.paymentMethodId = await obtainPaymentMethodId();
        }
        const saved = await addPaymentMethod({ stripePaymentMethodId: current.paymentMethodId, setAsDefault }, current.idempotencyKey);
        attempt.current = null;
        return saved;
      } catch (error) {
        if (!isRetryableAddError(error)) attempt.current = null;
        throw error;
      }
    },
    onSuccess: async (saved) => {
      // The cached list has the new method before the caller shows it.
      const refreshed = updatePaymentMethodList(queryClient, tenantId, (list) => withPaymentMethod(list, saved));
      onAdded(saved);
      await refreshed;
    },
  });
  return {
    add: ({ setAsDefault, obtainPaymentMethodId }: AddPaymentMethodInput, options?: { onError?: (error: Error) => void }) => {
      tokenise.current = obtainPaymentMethodId;
      mutation.mutate({ setAsDefault }, options);
    },
    isPending: mutation.isPending,
    /** Drops a kept attempt; call it when the card or the default choice changes, so the next submit is a new attempt. */
    forgetAttempt: () => {
      attempt.current = null;
    },
  };
}

export type AddPaymentMethodHandle = ReturnType<typeof useAddPaymentMethod>;
