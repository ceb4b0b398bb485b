import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from '@playwright/test';

const root = path.resolve(import.meta.dirname, '../..');
const portalUrl = 'http://localhost:27100';
const apiUrl = 'http://localhost:14000';
const runs = Number(process.env.BENCH_PORTAL_RUNS ?? 5);
const email = 'owner@acme.test';
const password = 'demo1234!';

/** Starts one of the two servers the portal needs, as `npm start` does, and waits until it answers. */
async function startServer(args: string[], env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn('npm', args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm ${args.join(' ')} exited with ${child.exitCode}`);
    const up = await fetch(readyUrl).then((r) => r.ok, () => false);
    if (up) return child;
    await sleep(250);
  }
  throw new Error(`${readyUrl} did not answer within 60 s`);
}

function stop(child: ChildProcess | undefined) {
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/**
 * The dashboard has drawn its content: a heading, and no card still loading (`aria-busy`).
 * Checked on every animation frame: a locator's wait retries after up to 500 ms, which made
 * the measure jump by that much depending on when the content came.
 */
async function dashboardDrawn(page: Page) {
  await page.waitForFunction(
    () => {
      const heading = document.querySelector<HTMLElement>('main h1');
      return heading !== null && heading.offsetParent !== null && document.querySelectorAll('main [aria-busy="true"]').length === 0;
    },
    undefined,
    { polling: 'raf' },
  );
}

/** A visible button with this name, checked on every animation frame (as dashboardDrawn). */
async function buttonDrawn(page: Page, name: string) {
  await page.waitForFunction(
    (text) => Array.from(document.querySelectorAll<HTMLElement>('button')).some((b) => b.textContent?.trim() === text && b.offsetParent !== null),
    name,
    { polling: 'raf' },
  );
}

/** The Largest Contentful Paint of the current document, in ms from its navigation start. */
async function largestContentfulPaint(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        new PerformanceObserver((list) => {
          const entries = list.getEntries();
          resolve(entries[entries.length - 1]?.startTime ?? 0);
        }).observe({ type: 'largest-contentful-paint' as PerformanceObserverInit['type'], buffered: true });
        setTimeout(() => resolve(0), 2_000);
      }),
  );
}

interface Sample {
  baseline: number;
  cold: number;
  coldLcp: number;
  warm: number;
  warmLcp: number;
}

/**
 * One fresh browser profile (empty cache): the sign-in page as the baseline, then signing in
 * through the identity provider's form to the dashboard's content (cold: nothing cached), then
 * the dashboard opened again in the same tab (warm: scripts cached, session kept).
 */
async function sample(browser: Browser): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  try {
    // Baseline: the portal's sign-in page, which loads the same entry scripts and calls no API.
    let started = performance.now();
    await page.goto(`${portalUrl}/login`);
    await buttonDrawn(page, 'Sign in');
    const baseline = performance.now() - started;

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/oidc\/interaction\//);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    started = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${portalUrl}/`);
    await dashboardDrawn(page);
    const cold = performance.now() - started;
    const coldLcp = await largestContentfulPaint(page);

    started = performance.now();
    await page.goto(`${portalUrl}/`);
    await dashboardDrawn(page);
    const warm = performance.now() - started;
    const warmLcp = await largestContentfulPaint(page);
    return { baseline, cold, coldLcp, warm, warmLcp };
  } finally {
    await context.close();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/**
 * What a customer waits for, in headless Chromium against the local API (embedded database and
 * identity provider) and the production build of the portal (`vite preview`): the dashboard's
 * content after signing in, cold and warm, and its Largest Contentful Paint. Baseline, in the same
 * run: the sign-in page, which loads the same scripts and asks the API nothing. Needs ports 14000
 * and 27100 free and Chromium (CHROMIUM_PATH, default /usr/bin/chromium); builds the portal if
 * `apps/portal/dist` is missing.
 */
export async function portalSuite(): Promise<void> {
  if (!existsSync(path.join(root, 'apps/portal/dist/index.html'))) {
    await new Promise<void>((resolve, reject) => {
      spawn('npm', ['run', 'build', '-w', '@cbp/portal'], { cwd: root, stdio: 'inherit' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`portal build: ${code}`))));
    });
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cbp-bench-portal-'));
  let api: ChildProcess | undefined;
  let preview: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    api = await startServer(['run', '--silent', 'start', '-w', '@cbp/control-plane'], { CBP_DATA_DIR: dataDir, LOG_LEVEL: 'warn', PORT: '14000' }, `${apiUrl}/health`);
    preview = await startServer(['run', '--silent', 'preview', '-w', '@cbp/portal'], {}, portalUrl);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    await sample(browser); // warm-up: JIT in the API, the preview server's file cache
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await sample(browser));
    const base = median(samples.map((s) => s.baseline));
    const row = (name: string, values: number[]) => {
      const m = median(values);
      return `| ${name} | ${m.toFixed(0)} | ${(m / base).toFixed(2)}x | ${Math.min(...values).toFixed(0)} | ${Math.max(...values).toFixed(0)} |`;
    };
    console.log(`Headless Chromium, 1440x900, ${runs} fresh browser profiles after one warm-up, ${email}; medians, ratio to the sign-in page (baseline) of the same run`);
    console.log('| measure | median ms | vs sign-in page | min ms | max ms |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(row('sign-in page drawn (baseline)', samples.map((s) => s.baseline)));
    console.log(row('sign-in submitted -> dashboard content (cold)', samples.map((s) => s.cold)));
    console.log(row('Largest Contentful Paint, cold (from the dashboard navigation)', samples.map((s) => s.coldLcp)));
    console.log(row('dashboard opened again -> content (warm)', samples.map((s) => s.warm)));
    console.log(row('Largest Contentful Paint, warm', samples.map((s) => s.warmLcp)));
  } finally {
    await browser?.close();
    stop(preview);
    stop(api);
    await sleep(500);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
