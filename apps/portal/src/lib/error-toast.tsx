import { toast } from 'sonner';
import type { FieldError } from '@cbp/contracts';

/** `body.email` reads as `email` to a person filling in a form. */
function fieldLabel(path: string): string {
  return path.replace(/^(body|query|params|headers)\./, '');
}

/** A toast with the problem's title, its detail and each invalid field on its own line. */
export function showErrorToast(title: string, detail?: string, fieldErrors?: readonly FieldError[]): void {
  const hasFields = fieldErrors && fieldErrors.length > 0;
  const description =
    detail || hasFields ? (
      <div className="space-y-1">
        {detail ? <p>{detail}</p> : null}
        {hasFields ? (
          <ul className="list-disc pl-4">
            {fieldErrors.map((fieldError) => (
              <li key={`${fieldError.path}:${fieldError.message}`}>
                <span className="font-medium">{fieldLabel(fieldError.path)}</span>: {fieldError.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    ) : undefined;
  toast.error(title, { description });
}
