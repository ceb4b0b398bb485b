import { Link } from 'react-router';
import { Button } from '@/components/ui/button';
import { usePageTitle } from '@/lib/page-title';

export default function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <div className="mx-auto max-w-md py-16 text-center">
      <p className="text-sm font-medium text-muted-foreground">Error 404</p>
      <h1 className="mt-1 text-2xl font-semibold tracking-tight">Page not found</h1>
      <p className="mt-2 text-sm text-muted-foreground">There is no page at this address. Check the link, or go back to the dashboard.</p>
      <Button asChild variant="outline" className="mt-6">
        <Link to="/">Back to the dashboard</Link>
      </Button>
    </div>
  );
}
