import { Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Authenticated } from '@refinedev/core';
import { AdminSection } from '@/components/admin/admin-nav';
import { UsageSection } from '@/components/billing/usage-nav';
import { AppLayout } from '@/components/layout/app-layout';
import { FullPageLoading } from '@/components/layout/full-page-loading';
import { lazyPage } from '@/page-loaders';

// One chunk per page (page-loaders.ts): the first load only fetches what the landing route needs,
// and main.tsx starts fetching that page's chunk together with the app's.
const DashboardPage = lazyPage('dashboard');
const BillingOverviewPage = lazyPage('billingOverview');
const BillingPlansPage = lazyPage('billingPlans');
const InvoicesPage = lazyPage('invoices');
const InvoiceDetailPage = lazyPage('invoiceDetail');
const PaymentMethodsPage = lazyPage('paymentMethods');
const AddPaymentMethodPage = lazyPage('addPaymentMethod');
const UsageDashboardPage = lazyPage('usageDashboard');
const UsageTrendsPage = lazyPage('usageTrends');
const QuotaManagementPage = lazyPage('quotaManagement');
const ApiKeysPage = lazyPage('apiKeys');
const TeamPage = lazyPage('team');
const MemberDetailPage = lazyPage('memberDetail');
const InvitationsPage = lazyPage('invitations');
const AcceptInvitationPage = lazyPage('acceptInvitation');
const OrganizationPage = lazyPage('organization');
const AuditLogsPage = lazyPage('auditLogs');
const OutboxPage = lazyPage('outbox');
const RolesPage = lazyPage('roles');
const AdminTenantsPage = lazyPage('adminTenants');
const AdminTenantDetailPage = lazyPage('adminTenantDetail');
const WorkflowsPage = lazyPage('workflows');
const WorkflowDetailPage = lazyPage('workflowDetail');
const NotificationsPage = lazyPage('notifications');
const SettingsSection = lazyPage('settingsSection');
const NotificationSettingsPage = lazyPage('notificationSettings');
const ProfileSettingsPage = lazyPage('profileSettings');
const PasswordSettingsPage = lazyPage('passwordSettings');
const AppearanceSettingsPage = lazyPage('appearanceSettings');
const SessionsSettingsPage = lazyPage('sessionsSettings');
const NotFoundPage = lazyPage('notFound');
const LoginPage = lazyPage('login');
const AuthCallbackPage = lazyPage('authCallback');
const SilentCallbackPage = lazyPage('silentCallback');

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
