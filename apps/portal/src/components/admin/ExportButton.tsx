import { useMutation } from '@tanstack/react-query';
import { Download } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { exportAuditLogs } from '@/services/audit-logs.service';
import type { AuditLogFilters } from '@/types/audit-log';

/** Downloads every entry matching the current filters as CSV (errors reach the user as a toast). */
export function ExportButton({ filters, disabled }: { filters: AuditLogFilters; disabled: boolean }) {
  const download = useMutation({ mutationFn: () => exportAuditLogs(filters) });
  return (
    <Button variant="outline" size="sm" disabled={disabled || download.isPending} aria-busy={download.isPending} onClick={() => download.mutate()}>
      <Download aria-hidden="true" />
      {download.isPending ? 'Exporting…' : 'Export CSV'}
    </Button>
  );
}
