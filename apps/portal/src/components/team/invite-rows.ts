import { InviteInput, tenantRoles, maxBulkInvitations } from '@cbp/contracts';
import { roleName } from '@/lib/role-parser';
import type { TenantRole } from '@/types/team';

/** One line of a paste or a CSV file, as written. */
export interface ParsedInviteLine {
  /** 1-based line number in the text, for messages ("Duplicate of line 3"). */
  line: number;
  email: string;
  /** The role as written, or null when the line has only an email (the default role applies). */
  role: string | null;
}

/** Splits one CSV line into cells: `,` `;` or tab separated, double quotes around a cell allowed. */
export function splitCsvLine(text: string): string[] {
  const separator = /[,;\t]/;
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (quoted) {
      if (char === '"' && text.charAt(i + 1) === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (separator.test(char)) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell.trim());
  return cells;
}

const isHeader = (cells: string[]) => cells.some((cell) => cell.toLowerCase() === 'email');

/**
 * Lines of `email,role` (or `email` alone) from a paste or a CSV export. A header row naming
 * the columns is optional and may put them in any order; blank lines are skipped.
 */
export function parseInviteLines(text: string): ParsedInviteLine[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  let emailColumn = 0;
  let roleColumn = 1;
  const rows: ParsedInviteLine[] = [];
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    const cells = splitCsvLine(raw);
    if (rows.length === 0 && isHeader(cells)) {
      emailColumn = cells.findIndex((cell) => cell.toLowerCase() === 'email');
      const role = cells.findIndex((cell) => cell.toLowerCase() === 'role');
      roleColumn = role === -1 ? Number.POSITIVE_INFINITY : role;
      return;
    }
    const role = cells[roleColumn] ?? '';
    rows.push({ line: index + 1, email: cells[emailColumn] ?? '', role: role === '' ? null : role });
  });
  return rows;
}

/** A role as people write it: `admin`, `Admin`, ` ADMIN `. */
export function roleFromText(text: string): TenantRole | null {
  const wanted = text.trim().toLowerCase();
  return tenantRoles.find((role) => role === wanted || roleName(role).toLowerCase() === wanted) ?? null;
}

export type InviteRowCheck =
  | { ok: true; line: number; email: string; role: TenantRole }
  | { ok: false; line: number; email: string; role: string; problem: string };

/** At most this many rows per request (the contract's limit). */
export const MAX_BULK_INVITES = maxBulkInvitations;

const knownRoles = tenantRoles.join(', ');

/**
 * The same checks the API makes per row, before anything is sent: a valid email (the contract's
 * schema), a known role the caller may grant, and each address once.
 */
export function checkInviteRows(
  lines: readonly ParsedInviteLine[],
  { defaultRole, assignable }: { defaultRole: TenantRole; assignable: readonly TenantRole[] },
): InviteRowCheck[] {
  const firstLineOf = new Map<string, number>();
  return lines.map(({ line, email, role: written }) => {
    const roleText = written ?? defaultRole;
    const refuse = (problem: string): InviteRowCheck => ({ ok: false, line, email, role: roleText, problem });
    if (email === '') return refuse('No email address');
    const parsed = InviteInput.shape.email.safeParse(email);
    if (!parsed.success) return refuse('Not a valid email address');
    const role = roleFromText(roleText);
    if (!role) return refuse(`Unknown role "${roleText}" (use ${knownRoles})`);
    if (!assignable.includes(role)) return refuse(`You cannot invite someone as ${roleName(role)}`);
    const normalized = parsed.data;
    const first = firstLineOf.get(normalized);
    if (first !== undefined) return refuse(`Duplicate of line ${first}`);
    firstLineOf.set(normalized, line);
    return { ok: true, line, email: normalized, role };
  });
}
