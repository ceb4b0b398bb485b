import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { applyTheme } from '@/lib/theme';
import { Shell } from '@/shell';
import './index.css';

// The rest of the portal loads at once, in parallel with the first paint (one request for its
// chunks, which Vite fetches together); index.html preloads only React and the shell.
const app = import('@/App');

applyTheme();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <Shell app={app} />
  </StrictMode>,
);
