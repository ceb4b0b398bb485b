// Production start on one machine: the compiled API (`node apps/control-plane/dist/main.js`,
// no tsx) and the built portal (scripts/serve-portal.mjs), both plain node. `npm run build`
// first. SIGTERM/SIGINT reach both (the API drains in-flight requests); if either exits, the
// other is stopped and the exit code is passed on. Several API copies: see README, Production.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const at = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const api = at('../apps/control-plane/dist/main.js');
const portalIndex = at('../apps/portal/dist/index.html');
for (const file of [api, portalIndex]) {
  if (!existsSync(file)) {
    process.stderr.write(`${file} is missing: run npm run build first.\n`);
    process.exit(1);
  }
}

const env = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production' };
const children = [
  spawn(process.execPath, ['--enable-source-maps', api], { cwd: at('../apps/control-plane'), env, stdio: 'inherit' }),
  spawn(process.execPath, [at('./serve-portal.mjs')], { env, stdio: 'inherit' }),
];

let exitCode = null;
for (const child of children) {
  child.on('exit', (code, signal) => {
    exitCode ??= code ?? (signal ? 1 : 0);
    for (const other of children) if (other.exitCode === null && other.signalCode === null) other.kill('SIGTERM');
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    for (const child of children) if (child.exitCode === null) child.kill(signal);
  });
}
