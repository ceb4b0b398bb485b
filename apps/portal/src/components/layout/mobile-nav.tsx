import { useState } from 'react';
import { Menu } from 'lucide-react';
import { Brand } from '@/components/layout/brand';
import { SidebarNav } from '@/components/layout/sidebar-nav';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from '@/components/ui/dialog';

/** Below the lg breakpoint the sidebar opens as a drawer. */
export function MobileNav() {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="ghost" size="icon" className="lg:hidden" aria-label="Open navigation">
          <Menu aria-hidden="true" />
        </Button>
      </DialogTrigger>
      <DialogContent side="left" closeLabel="Close navigation" className="flex flex-col bg-sidebar">
        <div className="flex h-14 items-center border-b px-5">
          <DialogTitle asChild>
            <span>
              <Brand />
            </span>
          </DialogTitle>
          <DialogDescription className="sr-only">Portal sections</DialogDescription>
        </div>
        <SidebarNav onNavigate={() => setOpen(false)} />
      </DialogContent>
    </Dialog>
  );
}
