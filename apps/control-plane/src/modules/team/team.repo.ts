import { and, asc, count, desc, eq, ilike, inArray, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { MemberQuery, TenantRole } from '@cbp/contracts';
import { escapeLike, preparedQueries, queryRows, type ScopedTx } from '../../platform/db.js';
import { pageWithTotal, totalOverAll } from '../../platform/paging.js';
import { auditLogs, tenantMemberships, tenants, userInvitations, users } from '../../platform/schema.js';

export interface MemberRow {
  id: string;
  email: string;
  name: string;
  role: TenantRole;
  status: 'active' | 'suspended';
  joinedAt: Date;
  lastActiveAt: Date | null;
}


/** The member's latest audit entry in the tenant (index on tenant, actor, time). */
const lastActive = (tenantId: string | Placeholder) =>
  sql<Date | null>`(SELECT max(a.created_at) FROM audit_logs a WHERE a.tenant_id = ${tenantId} AND a.actor_id = ${users.id})`.mapWith(
    (v: string | Date | null) => (v ? new Date(v) : null),
  );

const memberColumns = (tenantId: string | Placeholder) => ({
  id: users.id,
  email: users.email,
  name: users.name,
  role: tenantMemberships.role,
  status: tenantMemberships.status,
  joinedAt: tenantMemberships.createdAt,
  lastActiveAt: lastActive(tenantId),
});

function memberFilter(tenantId: string, q: Partial<MemberQuery>): SQL | undefined {
  const text = q.search ? `%${escapeLike(q.search)}%` : null;
  return and(
    eq(tenantMemberships.tenantId, tenantId),
    q.status ? eq(tenantMemberships.status, q.status) : undefined,
    q.role ? eq(tenantMemberships.role, q.role) : undefined,
    text ? or(ilike(users.name, text), ilike(users.email, text)) : undefined,
  );
}

/** The members page, prepared once per combination of filters, values as placeholders. */
const memberPage = preparedQueries('cbp_team_members', (shape: { status: boolean; role: boolean; search: boolean }, q) => {
  const p = sql.placeholder;
  return q
    .select({ ...memberColumns(p('tenantId')), total: totalOverAll })
    .from(tenantMemberships)
    .innerJoin(users, eq(users.id, tenantMemberships.userId))
    .where(
      and(
        eq(tenantMemberships.tenantId, p('tenantId')),
        shape.status ? eq(tenantMemberships.status, p('status')) : undefined,
        shape.role ? eq(tenantMemberships.role, p('role')) : undefined,
        shape.search ? or(ilike(users.name, p('text')), ilike(users.email, p('text'))) : undefined,
      ),
    )
    .orderBy(asc(sql`lower(${users.name})`), asc(users.id))
    .limit(p('limit'))
    .offset(p('offset'));
});

export async function findMembers(tx: ScopedTx, tenantId: string, q: MemberQuery): Promise<{ rows: MemberRow[]; total: number }> {
  const offset = (q.page - 1) * q.limit;
  const page = memberPage({ status: !!q.status, role: !!q.role, search: !!q.search });
  return pageWithTotal(
    await page(tx, { tenantId, status: q.status, role: q.role, text: q.search ? `%${escapeLike(q.search)}%` : null, limit: q.limit, offset }),
    offset,
    async () => (await tx.select({ n: count() }).from(tenantMemberships).innerJoin(users, eq(users.id, tenantMemberships.userId)).where(memberFilter(tenantId, q)))[0]?.n ?? 0,
  );
}

export async function findMember(tx: ScopedTx, tenantId: string, userId: string): Promise<MemberRow | undefined> {
  const [row] = await tx
    .select(memberColumns(tenantId))
    .from(tenantMemberships)
    .innerJoin(users, eq(users.id, tenantMemberships.userId))
    .where(and(eq(tenantMemberships.tenantId, tenantId), eq(tenantMemberships.userId, userId)))
    .limit(1);
  return row;
}

export async function findMembersByIds(tx: ScopedTx, tenantId: string, userIds: string[]): Promise<MemberRow[]> {
  return tx
    .select(memberColumns(tenantId))
    .from(tenantMemberships)
    .innerJoin(users, eq(users.id, tenantMemberships.userId))
    .where(and(eq(tenantMemberships.tenantId, tenantId), inArray(tenantMemberships.userId, userIds)));
}

export async function memberByEmail(tx: ScopedTx, tenantId: string, email: string): Promise<MemberRow | undefined> {
  const [row] = await tx
    .select(memberColumns(tenantId))
    .from(tenantMemberships)
    .innerJoin(users, eq(users.id, tenantMemberships.userId))
    .where(and(eq(tenantMemberships.tenantId, tenantId), sql`lower(${users.email}) = lower(${email})`))
    .limit(1);
  return row;
}

export async function activeOwnerCount(tx: ScopedTx, tenantId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(tenantMemberships)
    .where(and(eq(tenantMemberships.tenantId, tenantId), eq(tenantMemberships.role, 'owner'), eq(tenantMemberships.status, 'active')));
  return row?.n ?? 0;
}

/** Seats in use: active members and, with `invitations`, pending invitations that have not expired. */
export async function seatsTaken(tx: ScopedTx, tenantId: string, { invitations }: { invitations: boolean }): Promise<number> {
  const pending = invitations
    ? sql`(SELECT count(*) FROM ${userInvitations} WHERE tenant_id = ${tenantId} AND status = 'pending' AND expires_at > now())`
    : sql`0`;
  const [row] = await queryRows<{ n: number | string }>(
    tx,
    sql`SELECT (SELECT count(*) FROM ${tenantMemberships} WHERE tenant_id = ${tenantId} AND status = 'active') + ${pending} AS n`,
  );
  return Number(row?.n ?? 0);
}

export async function updateMembership(tx: ScopedTx, tenantId: string, userId: string, set: Partial<{ role: TenantRole; status: 'active' | 'suspended' }>) {
  await tx.update(tenantMemberships).set(set).where(and(eq(tenantMemberships.tenantId, tenantId), eq(tenantMemberships.userId, userId)));
}

export async function deleteMembership(tx: ScopedTx, tenantId: string, userId: string) {
  await tx.delete(tenantMemberships).where(and(eq(tenantMemberships.tenantId, tenantId), eq(tenantMemberships.userId, userId)));
}

export async function insertMembership(tx: ScopedTx, row: { tenantId: string; userId: string; role: TenantRole; invitedBy: string | null }) {
  await tx.insert(tenantMemberships).values({ ...row, status: 'active' });
}

/** Serialises team changes of one tenant (last-owner rules need a stable view of the owners). */
export async function lockTeam(tx: ScopedTx, tenantId: string) {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`team:${tenantId}`}))`);
}

export async function tenantName(tx: ScopedTx, tenantId: string): Promise<string> {
  const [row] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return row?.name ?? '';
}

export async function userById(tx: ScopedTx, id: string) {
  const [row] = await tx.select({ id: users.id, name: users.name, email: users.email }).from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** Audit entries for the activity views, newest first. */
export async function findActivity(tx: ScopedTx, tenantId: string, condition: SQL, page: { limit: number; offset: number }) {
  const where = and(eq(auditLogs.tenantId, tenantId), condition);
  const [rows, [total]] = await Promise.all([
    tx.select().from(auditLogs).where(where).orderBy(desc(auditLogs.createdAt), desc(auditLogs.id)).limit(page.limit).offset(page.offset),
    tx.select({ n: count() }).from(auditLogs).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}
