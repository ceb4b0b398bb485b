// Compiles the API to plain JavaScript for production: `node dist/main.js` (and `node dist/token.js`),
// no tsx. esbuild (it comes with tsx) bundles the API's own code and @cbp/contracts, which is
// TypeScript source without a build step; every npm dependency stays an import from node_modules
// (one copy of zod for the API and the contracts). Type checking is `npm run typecheck`.
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].filter((name) => name !== '@cbp/contracts');

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/main.ts', token: 'src/cli/token.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Subpath imports (`stripe/...`, `drizzle-orm/pg-core`) of a dependency are external too.
  external: external.flatMap((name) => [name, `${name}/*`]),
  logLevel: 'warning',
});
console.log('API compiled to apps/control-plane/dist (main.js, token.js)');
