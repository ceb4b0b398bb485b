import type { FastifyInstance } from 'fastify';

/**
 * Runs `run` every `intervalMs` in this API process (first run after `firstRunMs`), never two
 * runs of the same job at once, stopped when the app closes. Jobs must be safe to run in
 * several API copies at the same time (they lock what they change in the database).
 */
export function scheduleJob(
  app: FastifyInstance,
  name: string,
  intervalMs: number,
  run: () => Promise<unknown>,
  { firstRunMs = intervalMs }: { firstRunMs?: number } = {},
): void {
  if (intervalMs <= 0) return;
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    run()
      .then((result) => app.log.debug({ job: name, result }, 'scheduled job finished'))
      .catch((err: unknown) => app.log.error({ err, job: name }, 'scheduled job failed'))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(tick, firstRunMs);
  const every = setInterval(tick, intervalMs);
  first.unref();
  every.unref();
  app.addHook('onClose', async () => {
    clearTimeout(first);
    clearInterval(every);
  });
}
