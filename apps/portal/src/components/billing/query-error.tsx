import { AlertTriangle } from 'lucide-react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { errorMessage } from '@/lib/axios';

/** What failed, the API's reason, and a retry: the error state of every billing view. */
export function QueryError({ title, error, onRetry, className }: { title: string; error: unknown; onRetry: () => void; className?: string }) {
  return (
    <Alert variant="destructive" role="alert" className={className}>
      <AlertTriangle aria-hidden="true" />
      <div className="flex-1">
        <AlertTitle>{title}</AlertTitle>
        <AlertDescription>{errorMessage(error)}</AlertDescription>
        <Button variant="outline" size="sm" className="mt-3" onClick={onRetry}>
          Try again
        </Button>
      </div>
    </Alert>
  );
}
