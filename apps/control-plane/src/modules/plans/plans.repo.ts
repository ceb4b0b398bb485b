import { asc } from 'drizzle-orm';
import type { Queryable } from '../../platform/db.js';
import { plans } from '../../platform/schema.js';

export function listPlans(db: Queryable) {
  return db.select().from(plans).orderBy(asc(plans.sortOrder));
}
