/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';

const port = 27100;

/**
 * Libraries only some lazy pages use, kept out of the chunks every page loads: recharts with its
 * d3 and redux parts (over a third of all library code; the usage pages) and Stripe.js's React
 * wrapper (the add-card page).
 */
const lazyLibraries = /node_modules[\\/](recharts|victory-vendor|d3-[a-z-]+|internmap|@reduxjs|react-redux|redux|redux-thunk|reselect|decimal\.js-light|@stripe)[\\/]/;

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: { port, strictPort: true, host: 'localhost' },
  preview: { port, strictPort: true, host: 'localhost' },
  build: {
    rolldownOptions: {
      output: {
        // Libraries change less often than the app: separate chunks stay cached across deploys.
        // index.html loads only the entry (src/main.tsx, the shell) and 'react'; the others come
        // with `import('@/App')` (all at once) or with the lazy pages that use them.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 6 },
            { name: 'router', test: /node_modules[\\/]react-router[\\/]/, priority: 5 },
            { name: 'refine', test: /node_modules[\\/](@refinedev|@tanstack|lodash-es|lodash|papaparse|qs|pluralize)[\\/]/, priority: 4 },
            { name: 'ui', test: /node_modules[\\/](@radix-ui|@floating-ui|lucide-react|sonner)[\\/]/, priority: 3 },
            // zod (the contracts' schemas) and the form libraries: with them 'vendor' was 95 KiB, near the lazy-chunk budget.
            { name: 'schemas', test: /node_modules[\\/](zod|react-hook-form|@hookform)[\\/]/, priority: 2 },
            { name: 'vendor', test: (id) => /node_modules[\\/]/.test(id) && !lazyLibraries.test(id), priority: 1 },
            // Last, so what these share with the app (react, clsx...) is already in the chunks above.
            { name: 'charts', test: /node_modules[\\/](recharts|victory-vendor|d3-[a-z-]+|internmap|@reduxjs|react-redux|redux|redux-thunk|reselect|decimal\.js-light)[\\/]/, priority: 0 },
            { name: 'stripe', test: /node_modules[\\/]@stripe[\\/]/, priority: 0 },
          ],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/test/setup.ts'],
    // Refine bundles its own import of react-router; inlining it keeps one copy in jsdom.
    server: { deps: { inline: [/@refinedev\//] } },
  },
});
