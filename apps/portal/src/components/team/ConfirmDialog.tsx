import { useRef, type ReactNode, type RefObject } from 'react';
import { AlertTriangle } from 'lucide-react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogClose, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { errorMessage } from '@/lib/axios';

export interface ConfirmAction {
  run: () => void;
  isPending: boolean;
  /** The refusal, shown in the dialog with the API's sentence. */
  error: unknown;
  /** Forgets the refusal when the dialog closes. */
  reset: () => void;
}

interface ConfirmDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: ReactNode;
  children?: ReactNode;
  /** "Remove member" */
  confirmLabel: string;
  /** "Removing…" */
  pendingLabel: string;
  /** "Keep member" */
  keepLabel: string;
  /** "The member was not removed" */
  failureTitle: string;
  action: ConfirmAction;
  destructive?: boolean;
  /** Where focus goes back to on close (a menu's trigger: the menu item that opened the dialog is gone). */
  returnFocusTo?: RefObject<HTMLElement | null>;
}

/**
 * Asks before a change that is hard to undo, says what it does, and keeps a refusal in the
 * dialog. On close, focus goes back to where it came from, or to the page when that is gone
 * (the row of a removed member).
 */
export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  confirmLabel,
  pendingLabel,
  keepLabel,
  failureTitle,
  action,
  destructive = true,
  returnFocusTo,
}: ConfirmDialogProps) {
  const opener = useRef<HTMLElement | null>(null);
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        onOpenChange(next);
        if (!next) action.reset();
      }}
    >
      <DialogContent
        onOpenAutoFocus={() => {
          opener.current = returnFocusTo?.current ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
        }}
        onCloseAutoFocus={(event) => {
          event.preventDefault();
          if (opener.current?.isConnected) opener.current.focus();
          else document.getElementById('main-content')?.focus();
        }}
      >
        <DialogHeader className="pr-6">
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription>{description}</DialogDescription>
        </DialogHeader>
        {children}
        {action.error ? (
          <Alert variant="destructive" role="alert" className="mt-4">
            <AlertTriangle aria-hidden="true" />
            <div>
              <AlertTitle>{failureTitle}</AlertTitle>
              <AlertDescription>{errorMessage(action.error)}</AlertDescription>
            </div>
          </Alert>
        ) : null}
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <DialogClose asChild>
            <Button variant="outline">{keepLabel}</Button>
          </DialogClose>
          <Button
            variant={destructive ? 'destructive' : 'default'}
            onClick={action.run}
            disabled={action.isPending}
            aria-busy={action.isPending}
          >
            {action.isPending ? pendingLabel : confirmLabel}
          </Button>
        </div>
      </DialogContent>
    </Dialog>
  );
}
