export type { Me, MembershipSummary, Plan, Role, Tenant, TenantStatus, UserSummary } from '@cbp/contracts';
