import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Starts test/workflow-worker.ts as a child process (`node --import tsx`, as test/api-process.ts
// starts the API) for the workflow engine's kill tests.

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface WorkerProcess {
  pid: number;
  /** Everything printed so far (last 64 KB). */
  output(): string;
  /** Still running (not exited, not killed). */
  alive(): boolean;
  /** The last line starting with `prefix`, if any. */
  lastLine(prefix: string): string | undefined;
  /** SIGKILL (no shutdown code runs); waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (the worker closes its engine and database), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export async function startWorker(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/workflow-worker.ts'], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let log = '';
  const lines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log = (log + text).slice(-65_536);
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > 2_000) lines.splice(0, lines.length - 1_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-65_536);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const deadline = Date.now() + readyTimeoutMs;
  while (!lines.includes('ready')) {
    if (!alive()) throw new Error(`the workflow worker exited before it was ready:\n${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the workflow worker was not ready within ${readyTimeoutMs} ms:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    pid: child.pid ?? -1,
    output: () => log,
    alive,
    lastLine(prefix) {
      for (let i = lines.length - 1; i >= 0; i--) if (lines[i]?.startsWith(prefix)) return lines[i];
      return undefined;
    },
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return exited;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
