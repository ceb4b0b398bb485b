import type { TenantTx } from '../../platform/db.js';
import { customerOf } from './billing.repo.js';

/**
 * The tenant's customer at the payment gateway (absent until the first subscription), for other
 * modules: the organization profile keeps it in step (organization-billing-details.ts).
 */
export async function gatewayCustomerOf(tx: TenantTx, tenantId: string): Promise<{ gateway: 'stripe' | 'local'; customerId: string } | null> {
  const row = await customerOf(tx, tenantId);
  return row ? { gateway: row.gateway, customerId: row.customerId } : null;
}
