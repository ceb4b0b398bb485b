import type { Role } from '@cbp/contracts';

export type Actor =
  | { type: 'user'; id: string; email: string }
  | { type: 'system'; id: null; email: null }
  | { type: 'api_key'; id: string; email: null };

/** Who is calling, for which tenant, with which role: what services and the audit trail need. */
export interface RequestContext {
  actor: Actor;
  tenantId: string | null;
  role: Role | null;
  ipAddress: string | null;
  userAgent: string | null;
}

/** The context of a tenant route: its tenant is known. */
export type TenantContext = RequestContext & { tenantId: string };

export const systemContext = (tenantId: string | null): RequestContext => ({
  actor: { type: 'system', id: null, email: null },
  tenantId,
  role: null,
  ipAddress: null,
  userAgent: null,
});
