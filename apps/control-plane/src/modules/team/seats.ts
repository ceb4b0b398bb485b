import type { ScopedTx } from '../../platform/db.js';
import { AppError } from '../../platform/errors.js';
import { seatLimitIn } from '../billing/seats.js';
import { seatsTaken } from './team.repo.js';

/**
 * Refuses a change that would need a seat the plan does not have (decision 004: seats are a
 * standing count). Active members hold a seat and so do pending invitations (an accepted one
 * only turns its seat into a member's), so an invitation, a reactivation or a join by verified
 * domain is checked against both; accepting an invitation checks active members alone. Suspended
 * members hold none. Call under the team lock (lockTeam), so two requests cannot take the last
 * seat together.
 */
export async function assertSeatFree(tx: ScopedTx, tenantId: string, { accepting = false }: { accepting?: boolean } = {}): Promise<void> {
  const limit = await seatLimitIn(tx, tenantId);
  if (!limit) return;
  const taken = await seatsTaken(tx, tenantId, { invitations: !accepting });
  if (taken < limit.seats) return;
  const what = accepting ? 'active members' : 'active members and pending invitations';
  throw new AppError(
    422,
    'SEAT_LIMIT_REACHED',
    `All ${limit.seats} seats of the ${limit.planName} plan are taken (${what}). Remove or suspend a member, cancel an invitation, or move to a larger plan.`,
  );
}

/** Whether one more member fits (a join by verified domain skips an organization that is full). */
export async function seatFree(tx: ScopedTx, tenantId: string): Promise<boolean> {
  const limit = await seatLimitIn(tx, tenantId);
  return !limit || (await seatsTaken(tx, tenantId, { invitations: true })) < limit.seats;
}
