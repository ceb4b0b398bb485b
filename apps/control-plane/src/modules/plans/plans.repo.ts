import { asc } from 'drizzle-orm';
import { preparedQuery, type AppDb } from '../../platform/db.js';
import { plans } from '../../platform/schema.js';

const planList = preparedQuery('cbp_plans_list', (q) => q.select().from(plans).orderBy(asc(plans.sortOrder)));

export function listPlans(db: AppDb) {
  return planList(db, {});
}
