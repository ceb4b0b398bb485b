import { useId, useRef, useState, type ChangeEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, ImageUp, Trash2 } from 'lucide-react';
import { toast } from 'sonner';
import { logoUpload } from '@cbp/contracts';
import { ConfirmDialog } from '@/components/team/ConfirmDialog';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';
import { useSession } from '@/hooks/use-session';
import { errorMessage } from '@/lib/axios';
import { removeLogo, uploadLogo } from '@/services/organization.service';
import { initialsOf, logoKey, useObjectUrl, useOrganizationLogo } from '@/pages/organization/logo-queries';

const accept = logoUpload.accept.join(',');

/**
 * The Logo card: pick a PNG, JPEG or WebP, see it before saving, save (the API checks the
 * content and answers a clear sentence when it refuses), or remove it after confirming.
 */
export function LogoCard({ canEdit }: { canEdit: boolean }) {
  const { tenantId, membership } = useSession();
  const queryClient = useQueryClient();
  const logo = useOrganizationLogo();
  const currentUrl = useObjectUrl(logo.data);
  const [picked, setPicked] = useState<File | null>(null);
  const previewUrl = useObjectUrl(picked);
  const [localError, setLocalError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const hintId = useId();

  const refresh = () => queryClient.invalidateQueries({ queryKey: logoKey(tenantId) });
  const save = useMutation({
    mutationFn: (file: File) => uploadLogo(file),
    onSuccess: async () => {
      setPicked(null);
      if (input.current) input.current.value = '';
      await refresh();
      toast.success('Logo saved.');
    },
  });
  const remove = useMutation({
    mutationFn: removeLogo,
    onSuccess: async () => {
      setConfirming(false);
      await refresh();
      toast.success('Logo removed.');
    },
  });

  const onPick = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0] ?? null;
    save.reset();
    setLocalError(null);
    setPicked(null);
    if (!file) return;
    if (file.size > logoUpload.maxBytes) {
      setLocalError(`The logo is ${(file.size / (1024 * 1024)).toFixed(1)} MB; the maximum is 1 MB. Choose a smaller PNG, JPEG or WebP.`);
      return;
    }
    setPicked(file);
  };
  const cancel = () => {
    setPicked(null);
    save.reset();
    setLocalError(null);
    if (input.current) input.current.value = '';
  };
  const failure = localError ?? (save.error ? errorMessage(save.error) : null);
  const shown = previewUrl ?? currentUrl;

  return (
    <Card aria-labelledby="org-logo-title">
      <CardHeader>
        <h2 id="org-logo-title" className="text-base font-semibold">
          Logo
        </h2>
        <CardDescription>Shown in the header for everyone in your organization.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <div className="flex flex-col gap-4 sm:flex-row sm:items-center">
          {shown ? (
            <img
              src={shown}
              alt={previewUrl ? 'Preview of the new logo' : 'Current logo'}
              data-testid={previewUrl ? 'logo-preview' : 'logo-current'}
              className="size-24 rounded-lg border bg-[repeating-conic-gradient(#f3f4f6_0%_25%,transparent_0%_50%)] bg-[length:16px_16px] object-contain"
            />
          ) : (
            <span aria-hidden="true" className="flex size-24 items-center justify-center rounded-lg bg-primary/10 text-2xl font-semibold text-primary">
              {initialsOf(membership?.name ?? '')}
            </span>
          )}
          <div className="w-full min-w-0 flex-1 space-y-2 text-sm">
            {previewUrl ? <p className="font-medium">Preview: not saved yet.</p> : logo.data ? <p>Your current logo.</p> : <p>No logo yet: the header shows your initials.</p>}
            {canEdit ? (
              <>
                <label htmlFor={inputId} className="block font-medium">
                  Choose an image
                </label>
                <input
                  ref={input}
                  id={inputId}
                  type="file"
                  accept={accept}
                  aria-describedby={hintId}
                  aria-invalid={failure ? true : undefined}
                  onChange={onPick}
                  data-testid="logo-input"
                  className="block w-full max-w-sm text-sm file:mr-3 file:rounded-md file:border file:bg-background file:px-3 file:py-1.5 file:text-sm file:font-medium"
                />
                <p id={hintId} className="text-muted-foreground">
                  PNG, JPEG or WebP, at most 1 MB. SVG is not accepted. It is shown as a 256 × 256 square.
                </p>
              </>
            ) : (
              <p className="text-muted-foreground">Only admins can change the logo.</p>
            )}
          </div>
        </div>
        {failure ? (
          <Alert variant="destructive" data-testid="logo-error">
            <AlertTriangle aria-hidden="true" />
            <AlertTitle>The logo was not saved</AlertTitle>
            <AlertDescription>{failure}</AlertDescription>
          </Alert>
        ) : null}
        {canEdit ? (
          <div className="flex flex-wrap gap-2">
            <Button type="button" disabled={!picked || save.isPending} onClick={() => picked && save.mutate(picked)}>
              <ImageUp aria-hidden="true" />
              {save.isPending ? 'Saving…' : 'Save logo'}
            </Button>
            {picked || failure ? (
              <Button type="button" variant="outline" onClick={cancel} disabled={save.isPending}>
                Cancel
              </Button>
            ) : null}
            {logo.data && !picked ? (
              <Button type="button" variant="outline" onClick={() => setConfirming(true)}>
                <Trash2 aria-hidden="true" />
                Remove logo
              </Button>
            ) : null}
          </div>
        ) : null}
      </CardContent>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title="Remove the logo?"
        description="The header shows your organization's initials instead. You can upload a logo again at any time."
        confirmLabel="Remove logo"
        pendingLabel="Removing…"
        keepLabel="Keep logo"
        failureTitle="The logo was not removed"
        action={{ run: () => remove.mutate(), isPending: remove.isPending, error: remove.error, reset: remove.reset }}
      />
    </Card>
  );
}
