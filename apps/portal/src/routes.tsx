import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Authenticated } from '@refinedev/core';
import { AdminSection } from '@/components/admin/admin-nav';
import { UsageSection } from '@/components/billing/usage-nav';
import { AppLayout } from '@/components/layout/app-layout';
import { FullPageLoading } from '@/components/layout/full-page-loading';

// One chunk per page: the first load only fetches what the landing route needs.
const DashboardPage = lazy(() => import('@/pages/dashboard'));
const BillingOverviewPage = lazy(() => import('@/pages/billing'));
const BillingPlansPage = lazy(() => import('@/pages/billing/plans'));
const InvoicesPage = lazy(() => import('@/pages/billing/invoices'));
const InvoiceDetailPage = lazy(() => import('@/pages/billing/invoice-detail'));
const PaymentMethodsPage = lazy(() => import('@/pages/billing/payment-methods'));
const AddPaymentMethodPage = lazy(() => import('@/pages/billing/add-payment-method'));
const UsageDashboardPage = lazy(() => import('@/pages/billing/usage-dashboard'));
const UsageTrendsPage = lazy(() => import('@/pages/billing/usage-trends'));
const QuotaManagementPage = lazy(() => import('@/pages/billing/quota-management'));
const ApiKeysPage = lazy(() => import('@/pages/billing/api-keys'));
const TeamPage = lazy(() => import('@/pages/team'));
const MemberDetailPage = lazy(() => import('@/pages/team/member-detail'));
const InvitationsPage = lazy(() => import('@/pages/team/invitations'));
const AcceptInvitationPage = lazy(() => import('@/pages/invitations/accept'));
const OrganizationPage = lazy(() => import('@/pages/organization'));
const AuditLogsPage = lazy(() => import('@/pages/admin/audit-logs'));
const OutboxPage = lazy(() => import('@/pages/admin/outbox'));
const RolesPage = lazy(() => import('@/pages/admin/roles'));
const AdminTenantsPage = lazy(() => import('@/pages/admin/tenants'));
const AdminTenantDetailPage = lazy(() => import('@/pages/admin/tenants-detail'));
const WorkflowsPage = lazy(() => import('@/pages/admin/workflows'));
const WorkflowDetailPage = lazy(() => import('@/pages/admin/workflows-detail'));
const NotificationsPage = lazy(() => import('@/pages/notifications'));
const SettingsSection = lazy(() => import('@/pages/settings/settings-section'));
const NotificationSettingsPage = lazy(() => import('@/pages/settings/notifications'));
const ProfileSettingsPage = lazy(() => import('@/pages/settings/profile'));
const PasswordSettingsPage = lazy(() => import('@/pages/settings/password'));
const AppearanceSettingsPage = lazy(() => import('@/pages/settings/appearance'));
const SessionsSettingsPage = lazy(() => import('@/pages/settings/sessions'));
const NotFoundPage = lazy(() => import('@/pages/errors/not-found'));
const LoginPage = lazy(() => import('@/pages/login'));
const AuthCallbackPage = lazy(() => import('@/pages/auth/callback'));
const SilentCallbackPage = lazy(() => import('@/pages/auth/silent-callback'));

export function AppRoutes() {
  return (
    <Suspense fallback={<FullPageLoading />}>
      <Routes>
        <Route
          element={
            <Authenticated key="portal" redirectOnFail="/login" loading={<FullPageLoading />}>
              <AppLayout />
            </Authenticated>
          }
        >
          <Route index element={<DashboardPage />} />
          <Route path="billing">
            <Route index element={<BillingOverviewPage />} />
            <Route path="plans" element={<BillingPlansPage />} />
            <Route path="invoices" element={<InvoicesPage />} />
            <Route path="invoices/:invoiceId" element={<InvoiceDetailPage />} />
            <Route path="payment-methods" element={<PaymentMethodsPage />} />
            <Route path="payment-methods/new" element={<AddPaymentMethodPage />} />
          </Route>
          <Route path="usage" element={<UsageSection />}>
            <Route index element={<UsageDashboardPage />} />
            <Route path="trends" element={<UsageTrendsPage />} />
            <Route path="quotas" element={<QuotaManagementPage />} />
            <Route path="api-keys" element={<ApiKeysPage />} />
          </Route>
          <Route path="team">
            <Route index element={<TeamPage />} />
            <Route path="members/:memberId" element={<MemberDetailPage />} />
            <Route path="invitations" element={<InvitationsPage />} />
          </Route>
          <Route path="organization" element={<OrganizationPage />} />
          <Route path="workflows">
            <Route index element={<WorkflowsPage />} />
            <Route path=":workflowId" element={<WorkflowDetailPage />} />
          </Route>
          <Route path="admin" element={<AdminSection />}>
            {/* /admin lands on the first admin page. */}
            <Route index element={<Navigate to="/admin/audit-logs" replace />} />
            <Route path="audit-logs" element={<AuditLogsPage />} />
            <Route path="outbox" element={<OutboxPage />} />
            <Route path="roles" element={<RolesPage />} />
            <Route path="tenants" element={<AdminTenantsPage />} />
            <Route path="tenants/:tenantId" element={<AdminTenantDetailPage />} />
          </Route>
          <Route path="notifications" element={<NotificationsPage />} />
          <Route path="settings" element={<SettingsSection />}>
            <Route index element={<Navigate to="/settings/notifications" replace />} />
            <Route path="notifications" element={<NotificationSettingsPage />} />
            <Route path="profile" element={<ProfileSettingsPage />} />
            <Route path="password" element={<PasswordSettingsPage />} />
            <Route path="appearance" element={<AppearanceSettingsPage />} />
            <Route path="sessions" element={<SessionsSettingsPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
        <Route
          path="/login"
          element={
            <Authenticated key="login" fallback={<LoginPage />} loading={<FullPageLoading />}>
              <Navigate to="/" replace />
            </Authenticated>
          }
        />
        <Route path="/auth/callback" element={<AuthCallbackPage />} />
        <Route path="/auth/silent-callback" element={<SilentCallbackPage />} />
        {/* Public: the link of an invitation email works with or without a session. */}
        <Route path="/invitations/accept" element={<AcceptInvitationPage />} />
      </Routes>
    </Suspense>
  );
}
