import type { z } from 'zod';
import { InvitationQuery, MemberQuery } from '@cbp/contracts';
import type { InvitationStatus, MemberStatus, TenantRole } from '@/types/team';

/** Rows per page of the members and invitations tables. */
export const TEAM_PAGE_SIZE = 20;

export interface MemberView {
  search: string | undefined;
  status: MemberStatus | undefined;
  role: TenantRole | undefined;
  page: number;
}

export interface InvitationView {
  search: string | undefined;
  status: InvitationStatus | undefined;
  page: number;
}

export const emptyMemberView: MemberView = { search: undefined, status: undefined, role: undefined, page: 1 };
export const emptyInvitationView: InvitationView = { search: undefined, status: undefined, page: 1 };

/** A URL value parsed with the schema the API validates it with; one it would refuse is dropped. */
function read<T>(schema: z.ZodType<T>, params: URLSearchParams, key: string): T | undefined {
  const parsed = schema.safeParse(params.get(key) ?? undefined);
  return parsed.success ? parsed.data : undefined;
}

/** `/team?search=ada&status=active&role=admin&page=2`. */
export function readMemberView(params: URLSearchParams): MemberView {
  return {
    search: read(MemberQuery.shape.search, params, 'search') || undefined,
    status: read(MemberQuery.shape.status, params, 'status'),
    role: read(MemberQuery.shape.role, params, 'role'),
    page: read(MemberQuery.shape.page, params, 'page') ?? 1,
  };
}

/** `/team/invitations?status=pending&search=bob&page=2`. */
export function readInvitationView(params: URLSearchParams): InvitationView {
  return {
    search: read(InvitationQuery.shape.search, params, 'search') || undefined,
    status: read(InvitationQuery.shape.status, params, 'status'),
    page: read(InvitationQuery.shape.page, params, 'page') ?? 1,
  };
}

/** Defaults are left out, so the plain list keeps a plain URL. */
export function teamViewParams(view: MemberView | InvitationView): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(view)) {
    if (key === 'page') continue;
    if (value) params.set(key, String(value));
  }
  if (view.page > 1) params.set('page', String(view.page));
  return params;
}

export function hasMemberFilters(view: MemberView): boolean {
  return Boolean(view.search || view.status || view.role);
}
