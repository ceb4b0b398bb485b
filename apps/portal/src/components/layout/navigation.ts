import { Bell, Building2, CreditCard, Gauge, LayoutDashboard, ShieldCheck, Users, Workflow, type LucideIcon } from 'lucide-react';

export interface NavItem {
  to: string;
  label: string;
  icon: LucideIcon;
  /** Shown only to roles the shared RBAC table allows. */
  access?: { resource: string; action: string };
}

export const navItems: readonly NavItem[] = [
  { to: '/', label: 'Dashboard', icon: LayoutDashboard },
  { to: '/billing', label: 'Billing', icon: CreditCard },
  { to: '/usage', label: 'Usage', icon: Gauge },
  { to: '/team', label: 'Team', icon: Users },
  { to: '/organization', label: 'Organization', icon: Building2 },
  { to: '/notifications', label: 'Notifications', icon: Bell, access: { resource: 'notifications', action: 'list' } },
  { to: '/workflows', label: 'Workflows', icon: Workflow, access: { resource: 'workflows', action: 'list' } },
  { to: '/admin', label: 'Admin', icon: ShieldCheck, access: { resource: 'audit-logs', action: 'list' } },
];
