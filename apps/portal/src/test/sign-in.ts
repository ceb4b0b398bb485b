import { vi } from 'vitest';
import { getMe } from '@/services/session.service';
import { acme, meWith, membership } from '@/test/fixtures';
import type { Role, Tenant } from '@/types/session';

/**
 * Signs the test's user in as a member of `tenant` (Acme by default) with `role`: what GET /me
 * answers. The test file mocks the session service (`vi.mock('@/services/session.service')`).
 */
export function signInAs(role: Role, tenant: Tenant = acme): void {
  vi.mocked(getMe).mockResolvedValue(meWith(membership(tenant, role)));
}
