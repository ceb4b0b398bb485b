import type { ComponentProps } from 'react';
import { tenantRoles } from '@cbp/contracts';
import { selectControl } from '@/components/ui/filter-select';
import { cn } from '@/lib/cn';
import { roleName } from '@/lib/role-parser';
import type { TenantRole } from '@/types/team';

interface RoleSelectProps extends Omit<ComponentProps<'select'>, 'value' | 'onChange'> {
  value: TenantRole | '';
  onChange: (role: TenantRole) => void;
  /** Roles the caller may hand out; the others are listed but disabled. */
  assignable: readonly TenantRole[];
  /** A first, empty option ("Choose a role…"), for a select without a current value. */
  placeholder?: string;
}

/** Every tenant role, lowest first; those above the caller's own stay visible but cannot be picked. */
export function RoleSelect({ value, onChange, assignable, placeholder, className, ...props }: RoleSelectProps) {
  return (
    <select
      value={value}
      onChange={(event) => {
        const role = tenantRoles.find((r) => r === event.target.value);
        if (role) onChange(role);
      }}
      className={cn(selectControl, className)}
      {...props}
    >
      {placeholder ? (
        <option value="" disabled>
          {placeholder}
        </option>
      ) : null}
      {tenantRoles.map((role) => (
        <option key={role} value={role} disabled={!assignable.includes(role) && role !== value}>
          {roleName(role)}
        </option>
      ))}
    </select>
  );
}
