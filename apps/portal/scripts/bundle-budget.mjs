// Bundle budgets, checked after every `vite build` (so in CI): the JavaScript every page loads
// before its first paint (the entry and its modulepreloads in dist/index.html), the largest chunk
// loaded later (the app behind the shell, a lazy page), and the CSS, gzip-compressed as served.
// Prints the sizes; exits 1 over a budget.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const budgets = {
  /**
   * KiB gzip of the JavaScript loaded by every page (issue #17). Today 69: React and react-dom
   * (67) and the app shell (src/shell.tsx), which paints the loading frame and imports the rest
   * of the portal (router, Refine, UI, API client: ~255 KiB in parallel chunks) at once.
   */
  initialJs: 150,
  /** KiB gzip of any one lazily loaded chunk (charts: 95; vendor 59, refine 57, ui 47). */
  lazyChunk: 100,
  /** KiB gzip of all CSS (one file today). */
  css: 30,
};

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const kib = (file) => gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length / 1024;
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]));
const lazy = readdirSync(path.join(dist, 'assets'))
  .map((name) => `assets/${name}`)
  .filter((file) => file.endsWith('.js') && !initial.has(file));

const initialKib = [...initial].reduce((sum, file) => sum + kib(file), 0);
const css = readdirSync(path.join(dist, 'assets')).filter((name) => name.endsWith('.css'));
const cssKib = css.reduce((sum, name) => sum + kib(`assets/${name}`), 0);
const largest = lazy.map((file) => ({ file, size: kib(file) })).sort((a, b) => b.size - a.size)[0];
const rows = [
  ['initial JavaScript', `${initial.size} files`, initialKib, budgets.initialJs],
  ['largest lazy chunk', largest?.file ?? '-', largest?.size ?? 0, budgets.lazyChunk],
  ['CSS', `${css.length} files`, cssKib, budgets.css],
];
let over = false;
for (const [what, detail, size, budget] of rows) {
  const ok = size <= budget;
  over ||= !ok;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${what}: ${size.toFixed(1)} KiB gzip (budget ${budget}) ${detail}`);
}
if (over) {
  console.error('Bundle over budget: split the new code into a lazy chunk (vite.config.ts) or raise the budget with a reason.');
  process.exit(1);
}
