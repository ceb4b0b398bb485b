import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { applyTheme } from '@/lib/theme';
import { preloadPageFor } from '@/page-loaders';
import { Shell } from '@/shell';
import './index.css';

// The rest of the portal loads at once, in parallel with the first paint (one request for its
// chunks, which Vite fetches together); index.html preloads only React and the shell.
const app = import('@/App');
// The landing page's own chunk with it: otherwise it is asked for only once the app has rendered.
void preloadPageFor(window.location.pathname);

applyTheme();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <Shell app={app} />
  </StrictMode>,
);
