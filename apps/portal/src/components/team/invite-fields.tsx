import { AlertTriangle } from 'lucide-react';
import { InviteInput } from '@cbp/contracts';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { errorMessage } from '@/lib/axios';

/* The pieces both ways of inviting share: field styles, the message and the refusal. */

export const inviteLabel = 'text-sm font-medium';
export const inviteHint = 'text-xs text-muted-foreground';
export const textareaControl =
  'w-full rounded-md border border-input bg-card px-3 py-2 text-sm shadow-xs placeholder:text-muted-foreground focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring';
const messageMax = InviteInput.shape.message.unwrap().maxLength ?? 1000;

/** The optional note added to the invitation email. */
export function MessageField({ id, value, onChange }: { id: string; value: string; onChange: (value: string) => void }) {
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={id} className={inviteLabel}>
        Message <span className="font-normal text-muted-foreground">(optional)</span>
      </label>
      <textarea
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        rows={3}
        maxLength={messageMax}
        aria-describedby={`${id}-hint`}
        className={textareaControl}
      />
      <p id={`${id}-hint`} className={inviteHint}>
        Added to the invitation email.
      </p>
    </div>
  );
}

/** Why the API refused the request as a whole, in its words. */
export function InviteRefusal({ title, error }: { title: string; error: unknown }) {
  return (
    <Alert variant="destructive" role="alert">
      <AlertTriangle aria-hidden="true" />
      <div>
        <AlertTitle>{title}</AlertTitle>
        <AlertDescription>{errorMessage(error)}</AlertDescription>
      </div>
    </Alert>
  );
}
