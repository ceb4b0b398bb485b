import type { Plan } from '@cbp/contracts';
import type { AppDb } from '../../platform/db.js';
import { listPlans } from './plans.repo.js';

export async function planCatalog(db: AppDb): Promise<Plan[]> {
  const rows = await listPlans(db);
  return rows.map(({ id, name, tier, priceMonthly, currency, interval, features, limits }) => ({
    id,
    name,
    tier,
    priceMonthly,
    currency,
    interval,
    features,
    limits,
  }));
}
