import { Component, useEffect, useState, type ComponentType, type ReactNode } from 'react';
import { FullPageLoading } from '@/components/layout/full-page-loading';

/** What `import('@/App')` resolves to, as far as the shell cares. */
export interface AppModule {
  App: ComponentType;
}

/**
 * The app shell: everything index.html loads before the first paint is React, react-dom and this
 * file. It paints the full-page loading frame at once (the theme is applied by index.html's inline
 * script) while the rest of the portal (router, Refine, UI, API client: `@/App`) loads, started by
 * main.tsx before the first render, then renders the app in its place.
 */
export function Shell({ app }: { app: Promise<AppModule> }) {
  return (
    <ShellErrorBoundary>
      <LoadedApp app={app} />
    </ShellErrorBoundary>
  );
}

/**
 * The loading frame until the app's code is in, then the app. Plain state, not Suspense: React
 * holds back revealing a Suspense boundary's content until 300 ms after its fallback was shown
 * (its reveal throttling), which delayed every page load by ~200 ms here even with the scripts
 * cached (the app's own lazy page then waited out a second throttle).
 */
function LoadedApp({ app }: { app: Promise<AppModule> }) {
  const [loaded, setLoaded] = useState<{ App: ComponentType } | { error: unknown } | null>(null);
  useEffect(() => {
    let current = true;
    app.then(
      ({ App }) => current && setLoaded({ App }),
      (error: unknown) => current && setLoaded({ error }),
    );
    return () => {
      current = false;
    };
  }, [app]);
  if (!loaded) return <FullPageLoading />;
  // Thrown while rendering, so the boundary below shows the reload notice.
  if ('error' in loaded) throw loaded.error;
  const { App } = loaded;
  return <App />;
}

interface BoundaryState {
  failed: boolean;
}

/** The app's code did not load (offline, or a deploy replaced the files): say so and offer a reload. */
class ShellErrorBoundary extends Component<{ children: ReactNode }, BoundaryState> {
  override state: BoundaryState = { failed: false };

  static getDerivedStateFromError(): BoundaryState {
    return { failed: true };
  }

  override componentDidCatch(error: unknown): void {
    console.error('The portal could not be loaded', error);
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <main className="flex min-h-dvh items-center justify-center px-4">
        <div role="alert" className="max-w-sm text-center">
          <h1 className="text-xl font-semibold">The portal could not be loaded</h1>
          <p className="mt-2 text-sm text-muted-foreground">Check your connection, then reload the page.</p>
          {/* The default Button's look, written out: components/ui/button would bring its libraries into the shell. */}
          <button
            type="button"
            className="mt-6 inline-flex h-9 items-center justify-center gap-2 whitespace-nowrap rounded-md bg-primary px-4 py-2 text-sm font-medium text-primary-foreground shadow-sm transition-colors hover:bg-primary/90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
            onClick={() => window.location.reload()}
          >
            Reload
          </button>
        </div>
      </main>
    );
  }
}
