import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

/**
 * Every page's code, one chunk each (routes.tsx renders them). This file is part of the shell's
 * first load (main.tsx preloads the landing page with it), so it holds only the import calls.
 */
const loaders = {
  dashboard: () => import('@/pages/dashboard'),
  billingOverview: () => import('@/pages/billing'),
  billingPlans: () => import('@/pages/billing/plans'),
  invoices: () => import('@/pages/billing/invoices'),
  invoiceDetail: () => import('@/pages/billing/invoice-detail'),
  paymentMethods: () => import('@/pages/billing/payment-methods'),
  addPaymentMethod: () => import('@/pages/billing/add-payment-method'),
  usageDashboard: () => import('@/pages/billing/usage-dashboard'),
  usageTrends: () => import('@/pages/billing/usage-trends'),
  quotaManagement: () => import('@/pages/billing/quota-management'),
  apiKeys: () => import('@/pages/billing/api-keys'),
  team: () => import('@/pages/team'),
  memberDetail: () => import('@/pages/team/member-detail'),
  invitations: () => import('@/pages/team/invitations'),
  acceptInvitation: () => import('@/pages/invitations/accept'),
  organization: () => import('@/pages/organization'),
  auditLogs: () => import('@/pages/admin/audit-logs'),
  outbox: () => import('@/pages/admin/outbox'),
  roles: () => import('@/pages/admin/roles'),
  adminTenants: () => import('@/pages/admin/tenants'),
  adminTenantDetail: () => import('@/pages/admin/tenants-detail'),
  workflows: () => import('@/pages/admin/workflows'),
  workflowDetail: () => import('@/pages/admin/workflows-detail'),
  notifications: () => import('@/pages/notifications'),
  settingsSection: () => import('@/pages/settings/settings-section'),
  notificationSettings: () => import('@/pages/settings/notifications'),
  profileSettings: () => import('@/pages/settings/profile'),
  passwordSettings: () => import('@/pages/settings/password'),
  appearanceSettings: () => import('@/pages/settings/appearance'),
  sessionsSettings: () => import('@/pages/settings/sessions'),
  notFound: () => import('@/pages/errors/not-found'),
  login: () => import('@/pages/login'),
  authCallback: () => import('@/pages/auth/callback'),
  silentCallback: () => import('@/pages/auth/silent-callback'),
} satisfies Record<string, () => Promise<{ default: ComponentType }>>;

export type PageKey = keyof typeof loaders;
interface PageModule {
  default: ComponentType;
}

/** Modules already loaded, by page. */
const loaded = new Map<PageKey, PageModule>();
/** Loads in flight or done, by page (one request per page, whoever asks first). */
const loading = new Map<PageKey, Promise<PageModule>>();

function load(key: PageKey): Promise<PageModule> {
  let promise = loading.get(key);
  if (!promise) {
    promise = (loaders[key] as () => Promise<PageModule>)().then((module) => {
      loaded.set(key, module);
      return module;
    });
    // A failed load may be tried again (the page's error boundary offers a reload).
    promise.catch(() => loading.delete(key));
    loading.set(key, promise);
  }
  return promise;
}

/**
 * The page as a lazy component. When its code is already in (preloaded with the app), it renders
 * at once: the thenable below settles synchronously, so React never suspends. A page that
 * suspends waits until 300 ms after its fallback appeared before React reveals it (React's
 * Suspense reveal throttling), which every first page load paid even with the code cached.
 */
export function lazyPage(key: PageKey): LazyExoticComponent<ComponentType> {
  const page = lazy<ComponentType>(() => {
    const module = loaded.get(key);
    if (module) return { then: (resolve: (value: PageModule) => void) => resolve(module) } as unknown as Promise<PageModule>;
    return load(key);
  });
  pages.set(page, key);
  return page;
}

/** Which page a component made by lazyPage() shows (a test checks routes.tsx against pagePaths below). */
export const pageOf = (component: unknown): PageKey | undefined => (typeof component === 'object' && component ? pages.get(component) : undefined);
const pages = new WeakMap<object, PageKey>();

/** Which page a path shows, as routes.tsx routes it (':' marks a parameter, '*' the rest). */
const pagePaths: [string, PageKey][] = [
  ['/', 'dashboard'],
  ['/billing', 'billingOverview'],
  ['/billing/plans', 'billingPlans'],
  ['/billing/invoices', 'invoices'],
  ['/billing/invoices/:id', 'invoiceDetail'],
  ['/billing/payment-methods', 'paymentMethods'],
  ['/billing/payment-methods/new', 'addPaymentMethod'],
  ['/usage', 'usageDashboard'],
  ['/usage/trends', 'usageTrends'],
  ['/usage/quotas', 'quotaManagement'],
  ['/usage/api-keys', 'apiKeys'],
  ['/team', 'team'],
  ['/team/members/:id', 'memberDetail'],
  ['/team/invitations', 'invitations'],
  ['/organization', 'organization'],
  ['/workflows', 'workflows'],
  ['/workflows/:id', 'workflowDetail'],
  ['/admin/audit-logs', 'auditLogs'],
  ['/admin/outbox', 'outbox'],
  ['/admin/roles', 'roles'],
  ['/admin/tenants', 'adminTenants'],
  ['/admin/tenants/:id', 'adminTenantDetail'],
  ['/notifications', 'notifications'],
  ['/settings/notifications', 'notificationSettings'],
  ['/settings/profile', 'profileSettings'],
  ['/settings/password', 'passwordSettings'],
  ['/settings/appearance', 'appearanceSettings'],
  ['/settings/sessions', 'sessionsSettings'],
  ['/login', 'login'],
  ['/auth/callback', 'authCallback'],
  ['/auth/silent-callback', 'silentCallback'],
  ['/invitations/accept', 'acceptInvitation'],
];

const segmentsOf = (path: string) => path.split('/').filter(Boolean);

/** The page a path shows, or undefined for one it does not know (redirects, not found). */
export function pageFor(pathname: string): PageKey | undefined {
  const path = segmentsOf(pathname);
  const match = pagePaths.find(([pattern]) => {
    const parts = segmentsOf(pattern);
    return parts.length === path.length && parts.every((part, i) => part.startsWith(':') || part === path[i]);
  });
  return match?.[1];
}

/**
 * Starts loading the code of the page at `pathname` (and of its section's frame), so it arrives
 * with the app's instead of after it. Nothing for a path routes.tsx does not show a page for.
 */
export async function preloadPageFor(pathname: string): Promise<void> {
  const key = pageFor(pathname);
  if (!key) return;
  await Promise.all([pathname.startsWith('/settings/') ? preloadPage('settingsSection') : undefined, preloadPage(key)]);
}

/** Loads a page's code ahead of its first render (a failed preload is not an error: the page asks again when it renders). */
export async function preloadPage(key: PageKey): Promise<void> {
  await load(key).catch(() => undefined);
}
