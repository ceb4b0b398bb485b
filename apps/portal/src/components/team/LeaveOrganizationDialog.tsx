import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { LogOut } from 'lucide-react';
import { toast } from 'sonner';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { Button } from '@/components/ui/button';
import { meQuery } from '@/lib/session';
import { leaveTenant } from '@/services/team.service';

/**
 * Ends the caller's own membership. The API refuses the last owner (422) with a sentence that
 * stays in the dialog; after leaving, the portal continues in another organization, if any.
 */
export function LeaveOrganizationDialog({ tenantName }: { tenantName: string }) {
  const [open, setOpen] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const leave = useMutation({
    mutationFn: leaveTenant,
    onSuccess: async () => {
      setOpen(false);
      toast.success(`You left ${tenantName}.`);
      await queryClient.invalidateQueries({ queryKey: meQuery.queryKey });
      await navigate('/');
    },
  });
  return (
    <>
      <Button variant="outline" onClick={() => setOpen(true)} className="text-red-700 hover:text-red-800 dark:text-red-300 dark:hover:text-red-200">
        <LogOut aria-hidden="true" />
        Leave organization
      </Button>
      <ConfirmDialog
        open={open}
        onOpenChange={setOpen}
        title={`Leave ${tenantName}?`}
        description={`You lose access to ${tenantName} at once. To come back, an admin has to invite you again.`}
        confirmLabel="Leave organization"
        pendingLabel="Leaving…"
        keepLabel="Stay"
        failureTitle="You are still a member"
        action={{ run: () => leave.mutate(), isPending: leave.isPending, error: leave.error, reset: leave.reset }}
      />
    </>
  );
}
