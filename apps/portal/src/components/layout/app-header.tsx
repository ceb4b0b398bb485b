import { HeaderLogo } from '@/components/layout/header-logo';
import { MobileNav } from '@/components/layout/mobile-nav';
import { NotificationBell } from '@/components/layout/notification-bell';
import { TenantSwitcher } from '@/components/layout/tenant-switcher';
import { ThemeToggle } from '@/components/layout/theme-toggle';
import { UserMenu } from '@/components/layout/user-menu';

export function AppHeader() {
  return (
    <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b bg-background/85 px-4 backdrop-blur supports-[backdrop-filter]:bg-background/70 sm:px-6">
      <MobileNav />
      <div className="flex min-w-0 flex-1 items-center">
        <HeaderLogo />
        <TenantSwitcher />
      </div>
      <ThemeToggle />
      <NotificationBell />
      <UserMenu />
    </header>
  );
}
