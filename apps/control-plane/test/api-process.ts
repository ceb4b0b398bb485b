import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { accessTokenSigner } from './tokens.js';
import { generateSigningKeys, type SigningKeys } from '../src/adapters/identity/builtin/keys.js';

/** apps/control-plane, where `src/main.ts` is started from. */
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export interface ApiProcessOptions {
  /** Environment of the API on top of the defaults below (DATABASE_URL, feature settings, ...). */
  env?: Record<string, string>;
  /** The port to listen on (kept across restarts by `restart()`); a free one by default. */
  port?: number;
  /** Keys of the built-in issuer (OIDC_SIGNING_JWKS); generated once and kept across restarts. */
  signingKeys?: SigningKeys;
  /** How long to wait for `GET /health` to answer 200. */
  readyTimeoutMs?: number;
}

export interface ApiProcess {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  pid: number;
  signingKeys: SigningKeys;
  /** The last 64 KB of the API's stdout and stderr, for failure messages. */
  output(): string;
  /** An access token as the built-in issuer would sign it, for a demo user's email. */
  tokenFor(email: string): Promise<string>;
  /** `fetch` against the API with a demo user's token (and tenant, when given). */
  request(pathname: string, init?: { method?: string; email?: string; tenantId?: string; bearer?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** Sends `signal` (default SIGKILL: no shutdown code runs) and waits for the process to be gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (graceful drain), then SIGKILL after `graceMs`; waits for the exit. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** Kills this process (if alive) and starts a new one with the same environment, port, keys and data folder, ready. */
  restart(): Promise<ApiProcess>;
}

const running = new Set<ChildProcess>();
// Last resort if a test run ends without stopping its API (a crash of the runner, a timeout).
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/**
 * Starts the real API (`node --import tsx src/main.ts`) as a child process, as production runs
 * it, and waits until `GET /health` answers 200. Fault tests kill it (`kill()` is SIGKILL) and
 * start it again on the same database (`restart()`). The child is killed when the test process
 * exits; call `stop()` in afterAll anyway. If it exits or is not ready in time, the error carries
 * its output.
 */
export async function startApi(options: ApiProcessOptions = {}, kept?: { dataDir: string }): Promise<ApiProcess> {
  const port = options.port ?? (await freePort());
  const signingKeys = options.signingKeys ?? (await generateSigningKeys());
  const url = `http://127.0.0.1:${port}`;
  // CBP_DATA_DIR (an embedded database, if no DATABASE_URL) lives as long as the API and its restarts.
  const dataDir = kept?.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'cbp-api-')));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    CBP_DATA_DIR: dataDir,
    CBP_DEMO: '0',
    OIDC_SIGNING_JWKS: JSON.stringify(signingKeys),
    OIDC_COOKIE_SECRET: randomUUID() + randomUUID(),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-65_536);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const gone = exited(child).then(() => {
    running.delete(child);
  });

  const tokens = accessTokenSigner({ keys: signingKeys, issuer: `${url}/oidc`, audience: url });
  const tokenFor = (email: string) => tokens.forEmail(email);

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await gone;
  };
  const stop = async (graceMs = 10_000) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await kill('SIGTERM');
    } finally {
      clearTimeout(timer);
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the API exited before it was ready (${child.exitCode ?? child.signalCode}):\n${log}`);
    }
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop(1_000);
      throw new Error(`the API did not answer /health with 200 within ${options.readyTimeoutMs ?? 90_000} ms:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const api: ApiProcess = {
    url,
    port,
    pid: child.pid ?? -1,
    signingKeys,
    output: () => log,
    tokenFor,
    async request(pathname, init = {}) {
      const bearer = init.bearer ?? (init.email ? await tokenFor(init.email) : undefined);
      return fetch(`${url}${pathname}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(init.tenantId ? { 'x-tenant-id': init.tenantId } : {}),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    },
    kill,
    stop,
    async restart() {
      await kill();
      return startApi({ ...options, port, signingKeys }, { dataDir });
    },
  };
  return api;
}
