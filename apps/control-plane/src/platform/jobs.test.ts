import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jobBackoffMs, maxJobBackoffMs, scheduleJob } from './jobs.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Lets the job's promise chain settle between timer advances. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('scheduled jobs', () => {
  it('back off while the database is away and return to their interval after a success', async () => {
    vi.useFakeTimers();
    const app = Fastify();
    let databaseUp = false;
    const runsAt: number[] = [];
    scheduleJob(app, 'probe', 1_000, async () => {
      runsAt.push(Date.now());
      if (!databaseUp) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    const start = Date.now();
    for (let i = 0; i < 60; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();
    }
    // One run a second without back-off would be 60 runs; doubling waits (1, 2, 4, 8, 16, 32 s) make 6.
    const gaps = runsAt.map((t, i) => t - (runsAt[i - 1] ?? start));
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000].slice(0, gaps.length));
    expect(runsAt.length).toBeLessThanOrEqual(6);

    // The sixth try is due 32 s after the fifth (at 63 s): the database is back by then.
    databaseUp = true;
    const before = runsAt.length;
    expect(before).toBe(5);
    await vi.advanceTimersByTimeAsync(start + 63_000 - Date.now());
    await settle();
    expect(runsAt.length).toBe(before + 1);
    // After the success, back to one run a second.
    await vi.advanceTimersByTimeAsync(5_000);
    await settle();
    expect(runsAt.length).toBe(before + 6);
    await app.close();
    // Closed: no more runs.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runsAt.length).toBe(before + 6);
  });

  it('never waits longer than five minutes between tries', () => {
    expect(jobBackoffMs(60_000, 0)).toBe(60_000);
    expect(jobBackoffMs(60_000, 1)).toBe(120_000);
    expect(jobBackoffMs(60_000, 20)).toBe(maxJobBackoffMs);
    // A job whose own interval is longer than the cap keeps its interval.
    expect(jobBackoffMs(3_600_000, 3)).toBe(3_600_000);
  });
});
