import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

// A fresh embedded database per run, shared by the workers through the environment.
process.env.CBP_E2E_DATA ??= mkdtempSync(path.join(tmpdir(), 'cbp-e2e-'));
const root = path.resolve(import.meta.dirname, '..');

export default defineConfig({
  testDir: './specs',
  fullyParallel: true,
  workers: process.env.CI ? 2 : undefined,
  retries: 0,
  reporter: [['list']],
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: 'http://localhost:27100',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    // The portal then runs no animations (index.css): nothing to wait for, less to paint.
    reducedMotion: 'reduce',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    },
  },
  projects: [
    // Specs that only read the shared demo data run in parallel.
    { name: 'portal', grepInvert: /@changes-(demo-data|globex)/ },
    // Tests that change it run one at a time after all the others, and put back what they changed:
    // those that change Acme (its plan, members, cards, audit trail, notifications) in one line,
    // those that change Globex (its organization profile, logo, export, deletion) in another,
    // side by side, since neither reads the other tenant.
    // The two lines share the machine (two workers on two cores), so their tests get twice the time.
    { name: 'changes-demo-data', grep: /@changes-demo-data/, dependencies: ['portal'], fullyParallel: false, workers: 1, timeout: 120_000 },
    { name: 'changes-globex', grep: /@changes-globex/, dependencies: ['portal'], fullyParallel: false, workers: 1, timeout: 120_000 },
  ],
  webServer: [
    {
      command: 'npm run --silent start -w @cbp/control-plane',
      cwd: root,
      url: 'http://localhost:14000/health',
      // CBP_TEST_HOOKS: the workflow test hook (a run that fails on demand) for specs/workflows.spec.ts.
      env: { CBP_DATA_DIR: process.env.CBP_E2E_DATA, LOG_LEVEL: 'warn', PORT: '14000', CBP_TEST_HOOKS: '1' },
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      // the production build (npm run build), as users get it
      command: 'npm run --silent preview -w @cbp/portal',
      cwd: root,
      url: 'http://localhost:27100',
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});
