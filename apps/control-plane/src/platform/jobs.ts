import type { FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from './db.js';

/** The longest a failing job waits before trying again. */
export const maxJobBackoffMs = 5 * 60_000;

/**
 * Delay before the next run after `failures` failures in a row: the job's own interval at
 * first, doubling with each failure, capped at `maxJobBackoffMs` (never below the interval).
 */
export function jobBackoffMs(intervalMs: number, failures: number): number {
  if (failures <= 0) return intervalMs;
  return Math.max(intervalMs, Math.min(maxJobBackoffMs, intervalMs * 2 ** failures));
}

/**
 * Runs `run` every `intervalMs` in this API process (first run after `firstRunMs`), never two
 * runs of the same job at once, stopped when the app closes. A failing job backs off
 * (doubling its wait up to five minutes) instead of hammering a database that is away, and
 * returns to its interval after its first success. Jobs must be safe to run in several API
 * copies at the same time (they lock what they change in the database).
 */
export function scheduleJob(
  app: FastifyInstance,
  name: string,
  intervalMs: number,
  run: () => Promise<unknown>,
  { firstRunMs = intervalMs }: { firstRunMs?: number } = {},
): void {
  if (intervalMs <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  const next = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(tick, delayMs);
    timer.unref();
  };
  const tick = () => {
    run()
      .then((result) => {
        failures = 0;
        app.log.debug({ job: name, result }, 'scheduled job finished');
      })
      .catch((err: unknown) => {
        failures += 1;
        const retryInMs = jobBackoffMs(intervalMs, failures);
        if (isDatabaseUnavailable(err)) app.log.warn({ job: name, failures, retryInMs }, 'scheduled job: database unavailable, backing off');
        else app.log.error({ err, job: name, failures, retryInMs }, 'scheduled job failed');
      })
      .finally(() => next(jobBackoffMs(intervalMs, failures)));
  };
  next(firstRunMs);
  app.addHook('onClose', async () => {
    stopped = true;
    clearTimeout(timer);
  });
}
