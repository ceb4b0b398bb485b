import type { Role } from './roles.js';

/**
 * The one RBAC table of CBP: resource -> action -> minimum role.
 * The API enforces it on every route (see `routePolicies`); the portal hides or
 * disables what the caller's role cannot do from the same table.
 */
export const resourcePolicies = {
  dashboard: { show: 'analyst' },
  tenants: { show: 'analyst', edit: 'admin' },
  plans: { list: 'analyst' },
  subscriptions: { show: 'analyst', edit: 'owner' },
  /** edit: pay an open invoice with the default payment method (who manages payment methods). */
  invoices: { list: 'analyst', show: 'analyst', edit: 'owner' },
  'payment-methods': { list: 'owner', show: 'owner', create: 'owner', edit: 'owner', delete: 'owner' },
  usage: { list: 'analyst', show: 'analyst', create: 'engineer', edit: 'admin' },
  users: { list: 'analyst', show: 'analyst', edit: 'admin', delete: 'admin' },
  'user-invitations': { list: 'admin', create: 'admin', delete: 'admin' },
  /** list: team activity; edit: transfer ownership. */
  team: { list: 'admin', edit: 'owner' },
  /** delete: leave the tenant (anyone but its last owner). */
  membership: { delete: 'analyst' },
  /** Keys a tenant's own services report usage with. */
  'api-keys': { list: 'admin', create: 'admin', delete: 'admin' },
  /** Messages the mail port sent or captured for the tenant (they carry invitation links: staff only). */
  outbox: { list: 'super_admin' },
  roles: { list: 'analyst' },
  settings: { show: 'analyst', edit: 'admin' },
  organization: { show: 'analyst', edit: 'admin', delete: 'owner' },
  /** GDPR export archives (issue 15): the owner asks for one; admins see and download them. */
  'organization-exports': { list: 'admin', show: 'admin', create: 'owner' },
  'audit-logs': { list: 'admin', show: 'admin' },
  /** Every member reads and marks their own notifications and edits their own settings. */
  notifications: { list: 'analyst', show: 'analyst', edit: 'analyst' },
  workflows: { list: 'engineer', show: 'engineer', edit: 'admin' },
  'identity-roles': { list: 'super_admin', edit: 'super_admin' },
  /** The staff console (issue 16): every tenant, provisioning, suspension. */
  'admin-tenants': { list: 'super_admin', show: 'super_admin', create: 'super_admin', edit: 'super_admin' },
} as const satisfies Record<string, Partial<Record<Action, Role>>>;

export type Action = 'list' | 'show' | 'create' | 'edit' | 'delete';
export type Resource = keyof typeof resourcePolicies;

/** Minimum role for an action on a resource, or null when the table has no such entry. */
export function minimumRoleFor(resource: string, action: string): Role | null {
  const actions = (resourcePolicies as Record<string, Partial<Record<string, Role>>>)[resource];
  return actions?.[action] ?? null;
}

/**
 * How each HTTP route is guarded.
 * - `public`: no token (health, docs, identity provider, webhooks)
 * - `authenticated`: any valid token, no tenant (who am I)
 * - `tenant`: a member of the tenant in `X-Tenant-Id` with at least the resource/action role
 * - `platform`: no tenant (X-Tenant-Id is ignored); the caller's platform role must reach the
 *   resource/action role (identity roles, staff console)
 */
export type RoutePolicy =
  | { access: 'public' }
  | { access: 'authenticated' }
  | { access: 'tenant'; resource: Resource; action: Action }
  | { access: 'platform'; resource: Resource; action: Action };

export const routePolicies: Record<string, RoutePolicy> = {
  'GET /health': { access: 'public' },
  'GET /docs': { access: 'public' },
  'GET /oidc/interaction/:uid': { access: 'public' },
  'POST /oidc/interaction/:uid/login': { access: 'public' },
  // Two-step verification steps of a sign-in (issue 15): only with the interaction's checked password.
  'POST /oidc/interaction/:uid/mfa': { access: 'public' },
  'POST /oidc/interaction/:uid/mfa/enroll': { access: 'public' },
  'POST /oidc/interaction/:uid/continue': { access: 'public' },
  // The built-in provider's account pages (HTML forms): forgot password, reset, sign-up by verified domain.
  'GET /oidc/account/forgot-password': { access: 'public' },
  'POST /oidc/account/forgot-password': { access: 'public' },
  'GET /oidc/account/reset-password': { access: 'public' },
  'POST /oidc/account/reset-password': { access: 'public' },
  'GET /oidc/account/sign-up': { access: 'public' },
  'POST /oidc/account/sign-up': { access: 'public' },
  'GET /oidc/account/confirm-sign-up': { access: 'public' },
  'POST /oidc/account/confirm-sign-up': { access: 'public' },
  'GET /me': { access: 'authenticated' },
  'PATCH /me': { access: 'authenticated' },
  'POST /me/password': { access: 'authenticated' },
  'GET /me/sessions': { access: 'authenticated' },
  'DELETE /me/sessions/:id': { access: 'authenticated' },
  'GET /tenants/current': { access: 'tenant', resource: 'tenants', action: 'show' },
  'GET /plans': { access: 'tenant', resource: 'plans', action: 'list' },
  'GET /subscriptions/current': { access: 'tenant', resource: 'subscriptions', action: 'show' },
  'GET /subscriptions/preview-change': { access: 'tenant', resource: 'subscriptions', action: 'show' },
  'POST /subscriptions/change-plan': { access: 'tenant', resource: 'subscriptions', action: 'edit' },
  'POST /subscriptions/cancel': { access: 'tenant', resource: 'subscriptions', action: 'edit' },
  'POST /subscriptions/resume': { access: 'tenant', resource: 'subscriptions', action: 'edit' },
  'GET /invoices': { access: 'tenant', resource: 'invoices', action: 'list' },
  'GET /invoices/upcoming': { access: 'tenant', resource: 'invoices', action: 'show' },
  'GET /invoices/:id': { access: 'tenant', resource: 'invoices', action: 'show' },
  'GET /invoices/:id/pdf': { access: 'tenant', resource: 'invoices', action: 'show' },
  'POST /invoices/:id/pay': { access: 'tenant', resource: 'invoices', action: 'edit' },
  'POST /webhooks/stripe': { access: 'public' },
  'POST /payment-methods/setup-intent': { access: 'tenant', resource: 'payment-methods', action: 'create' },
  'POST /payment-methods': { access: 'tenant', resource: 'payment-methods', action: 'create' },
  'GET /payment-methods': { access: 'tenant', resource: 'payment-methods', action: 'list' },
  'GET /payment-methods/:id': { access: 'tenant', resource: 'payment-methods', action: 'show' },
  'PATCH /payment-methods/:id/set-default': { access: 'tenant', resource: 'payment-methods', action: 'edit' },
  'DELETE /payment-methods/:id': { access: 'tenant', resource: 'payment-methods', action: 'delete' },
  'POST /local-gateway/payment-methods': { access: 'tenant', resource: 'payment-methods', action: 'create' },
  'GET /audit-logs': { access: 'tenant', resource: 'audit-logs', action: 'list' },
  'GET /audit-logs/count': { access: 'tenant', resource: 'audit-logs', action: 'list' },
  'GET /audit-logs/verify': { access: 'tenant', resource: 'audit-logs', action: 'list' },
  'GET /audit-logs/export': { access: 'tenant', resource: 'audit-logs', action: 'list' },
  'GET /audit-logs/by-action/:action': { access: 'tenant', resource: 'audit-logs', action: 'list' },
  'GET /audit-logs/by-target/:targetType/:targetId': { access: 'tenant', resource: 'audit-logs', action: 'list' },
  'GET /audit-logs/by-actor/:actorId': { access: 'tenant', resource: 'audit-logs', action: 'list' },
  'GET /audit-logs/:id': { access: 'tenant', resource: 'audit-logs', action: 'show' },
  'GET /users': { access: 'tenant', resource: 'users', action: 'list' },
  'GET /users/:id': { access: 'tenant', resource: 'users', action: 'show' },
  'PATCH /users/:id/role': { access: 'tenant', resource: 'users', action: 'edit' },
  'PATCH /users/:id/status': { access: 'tenant', resource: 'users', action: 'edit' },
  'POST /users/bulk-role': { access: 'tenant', resource: 'users', action: 'edit' },
  'DELETE /users/:id': { access: 'tenant', resource: 'users', action: 'delete' },
  'GET /user-invitations': { access: 'tenant', resource: 'user-invitations', action: 'list' },
  'POST /user-invitations': { access: 'tenant', resource: 'user-invitations', action: 'create' },
  'POST /user-invitations/bulk': { access: 'tenant', resource: 'user-invitations', action: 'create' },
  'POST /user-invitations/:id/resend': { access: 'tenant', resource: 'user-invitations', action: 'create' },
  'DELETE /user-invitations/:id': { access: 'tenant', resource: 'user-invitations', action: 'delete' },
  'POST /user-invitations/preview': { access: 'public' },
  'POST /user-invitations/accept': { access: 'public' },
  'GET /roles': { access: 'tenant', resource: 'roles', action: 'list' },
  'GET /team/activity': { access: 'tenant', resource: 'team', action: 'list' },
  'POST /team/transfer-ownership': { access: 'tenant', resource: 'team', action: 'edit' },
  'POST /team/leave': { access: 'tenant', resource: 'membership', action: 'delete' },
  'GET /mail/outbox': { access: 'tenant', resource: 'outbox', action: 'list' },
  'POST /usage/events': { access: 'tenant', resource: 'usage', action: 'create' },
  'GET /usage/status': { access: 'tenant', resource: 'usage', action: 'list' },
  'GET /billing/usage': { access: 'tenant', resource: 'usage', action: 'list' },
  'GET /usage/quotas': { access: 'tenant', resource: 'usage', action: 'list' },
  'GET /usage/quotas/:metricType/check': { access: 'tenant', resource: 'usage', action: 'show' },
  'PATCH /usage/quotas/:metricType': { access: 'tenant', resource: 'usage', action: 'edit' },
  'POST /usage/quotas/initialize': { access: 'tenant', resource: 'usage', action: 'edit' },
  'POST /usage/quotas/reset': { access: 'tenant', resource: 'usage', action: 'edit' },
  'GET /usage/trends/:metricType': { access: 'tenant', resource: 'usage', action: 'show' },
  'GET /usage/analytics': { access: 'tenant', resource: 'usage', action: 'show' },
  'GET /usage/summaries': { access: 'tenant', resource: 'usage', action: 'list' },
  'GET /usage/periods': { access: 'tenant', resource: 'usage', action: 'list' },
  'GET /usage/alerts': { access: 'tenant', resource: 'usage', action: 'list' },
  'GET /workflows': { access: 'tenant', resource: 'workflows', action: 'list' },
  'GET /workflows/:id/status': { access: 'tenant', resource: 'workflows', action: 'show' },
  'POST /workflows/:id/cancel': { access: 'tenant', resource: 'workflows', action: 'edit' },
  'POST /workflows/:id/retry': { access: 'tenant', resource: 'workflows', action: 'edit' },
  'GET /api-keys': { access: 'tenant', resource: 'api-keys', action: 'list' },
  'POST /api-keys': { access: 'tenant', resource: 'api-keys', action: 'create' },
  'DELETE /api-keys/:id': { access: 'tenant', resource: 'api-keys', action: 'delete' },
  'GET /notifications': { access: 'tenant', resource: 'notifications', action: 'list' },
  'PATCH /notifications/:id/read': { access: 'tenant', resource: 'notifications', action: 'edit' },
  'POST /notifications/read-all': { access: 'tenant', resource: 'notifications', action: 'edit' },
  'GET /notifications/settings': { access: 'tenant', resource: 'notifications', action: 'show' },
  'GET /notifications/stream': { access: 'tenant', resource: 'notifications', action: 'list' },
  'PATCH /notifications/settings': { access: 'tenant', resource: 'notifications', action: 'edit' },
  // Unsubscribe links of notification mail work signed out: the signed token is the credential.
  'GET /notifications/unsubscribe': { access: 'public' },
  'POST /notifications/unsubscribe': { access: 'public' },
  'GET /organization': { access: 'tenant', resource: 'organization', action: 'show' },
  'PATCH /organization': { access: 'tenant', resource: 'organization', action: 'edit' },
  'GET /settings': { access: 'tenant', resource: 'settings', action: 'show' },
  'PATCH /settings': { access: 'tenant', resource: 'settings', action: 'edit' },
  'GET /organization/domains': { access: 'tenant', resource: 'organization', action: 'show' },
  'POST /organization/domains': { access: 'tenant', resource: 'organization', action: 'edit' },
  'POST /organization/domains/:id/verify': { access: 'tenant', resource: 'organization', action: 'edit' },
  'DELETE /organization/domains/:id': { access: 'tenant', resource: 'organization', action: 'edit' },
  'GET /organization/logo': { access: 'tenant', resource: 'organization', action: 'show' },
  'PUT /organization/logo': { access: 'tenant', resource: 'organization', action: 'edit' },
  'DELETE /organization/logo': { access: 'tenant', resource: 'organization', action: 'edit' },
  'POST /organization/export': { access: 'tenant', resource: 'organization-exports', action: 'create' },
  'GET /organization/exports': { access: 'tenant', resource: 'organization-exports', action: 'list' },
  'GET /organization/exports/:id/download': { access: 'tenant', resource: 'organization-exports', action: 'show' },
  'DELETE /organization': { access: 'tenant', resource: 'organization', action: 'delete' },
  'POST /organization/deletion/cancel': { access: 'tenant', resource: 'organization', action: 'delete' },
  'GET /keycloak/roles': { access: 'platform', resource: 'identity-roles', action: 'list' },
  'GET /keycloak/users': { access: 'platform', resource: 'identity-roles', action: 'list' },
  'GET /keycloak/users/:userId/roles': { access: 'platform', resource: 'identity-roles', action: 'list' },
  'POST /keycloak/roles/:realm/users/:userId/roles': { access: 'platform', resource: 'identity-roles', action: 'edit' },
  'DELETE /keycloak/roles/:realm/users/:userId/roles': { access: 'platform', resource: 'identity-roles', action: 'edit' },
  'GET /admin/tenants': { access: 'platform', resource: 'admin-tenants', action: 'list' },
  'GET /admin/tenants/:id': { access: 'platform', resource: 'admin-tenants', action: 'show' },
  'POST /admin/tenants': { access: 'platform', resource: 'admin-tenants', action: 'create' },
  'POST /admin/tenants/:id/suspend': { access: 'platform', resource: 'admin-tenants', action: 'edit' },
  'POST /admin/tenants/:id/reactivate': { access: 'platform', resource: 'admin-tenants', action: 'edit' },
};
