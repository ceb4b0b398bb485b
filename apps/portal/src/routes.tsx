import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Authenticated } from '@refinedev/core';
import { AppLayout } from '@/components/layout/app-layout';
import { FullPageLoading } from '@/components/layout/full-page-loading';

// One chunk per page: the first load only fetches what the landing route needs.
const DashboardPage = lazy(() => import('@/pages/dashboard'));
const BillingOverviewPage = lazy(() => import('@/pages/billing'));
const BillingPlansPage = lazy(() => import('@/pages/billing/plans'));
const InvoicesPage = lazy(() => import('@/pages/billing/invoices'));
const InvoiceDetailPage = lazy(() => import('@/pages/billing/invoice-detail'));
const UsagePage = lazy(() => import('@/pages/usage'));
const TeamPage = lazy(() => import('@/pages/team'));
const OrganizationPage = lazy(() => import('@/pages/organization'));
const AdminPage = lazy(() => import('@/pages/admin'));
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
          </Route>
          <Route path="usage" element={<UsagePage />} />
          <Route path="team" element={<TeamPage />} />
          <Route path="organization" element={<OrganizationPage />} />
          <Route path="admin" element={<AdminPage />} />
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
      </Routes>
    </Suspense>
  );
}
