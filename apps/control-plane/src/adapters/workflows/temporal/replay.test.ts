import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleCbpWorkflows } from './bundle.js';
import { historyFromFixture, historyToFixture, threeStepsArgs, threeStepsHistory } from './testing/history-builder.js';

// Replay: the worker runs cbpWorkflow over recorded histories (fixtures/*.json, written by
// fixtures/generate.ts) and must issue exactly the commands the history holds. This is how
// Temporal catches a deployed change that would break runs in flight (non-determinism).

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(path.join(here, 'fixtures/three-steps.json'), 'utf8')) as { events: Record<string, unknown>[] };

/** The fixture with its workflow input's `type` changed (the same history, another definition). */
function withType(type: string) {
  const copy = structuredClone(fixture);
  const started = copy.events[0] as { workflowExecutionStartedEventAttributes: { input: { payloads: { data: string }[] } } };
  const [first] = started.workflowExecutionStartedEventAttributes.input.payloads;
  if (!first) throw new Error('fixture without input');
  const args = JSON.parse(Buffer.from(first.data, 'base64').toString('utf8')) as Record<string, unknown>;
  first.data = Buffer.from(JSON.stringify({ ...args, type })).toString('base64');
  return historyFromFixture(copy);
}

let workflowBundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  workflowBundle = await bundleCbpWorkflows({ workflowsPath: path.join(here, 'testing/workflows.ts'), logger: new DefaultLogger('ERROR') });
}, 60_000);

describe('replay of recorded cbpWorkflow histories', () => {
  it('the test definitions import drizzle and pg: the bundle holds their stand-in, not their code', () => {
    expect(workflowBundle.code).toContain('cbp sandbox stub');
    expect(workflowBundle.code).not.toMatch(/node_modules\/(pg|drizzle-orm|@electric-sql)\//);
  });

  it('the checked-in fixture is the history the generator builds today', () => {
    expect(historyToFixture(threeStepsHistory(threeStepsArgs).history())).toEqual(fixture);
  });

  it('replays the three-step workflow with its sleep without a determinism violation', async () => {
    await expect(Worker.runReplayHistory({ workflowBundle, replayName: 'three-steps' }, historyFromFixture(fixture))).resolves.toBeUndefined();
  });

  it('fails with a DeterminismViolationError when the definition runs its steps in another order', async () => {
    const replay = Worker.runReplayHistory({ workflowBundle, replayName: 'reordered' }, withType('test.three-steps-reordered'));
    await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
  });

  it('replays several histories in one go (runReplayHistories)', async () => {
    const histories = [
      { workflowId: 'a', history: historyFromFixture(fixture) },
      { workflowId: 'b', history: withType('test.three-steps-reordered') },
    ];
    const results: { workflowId: string; error?: unknown }[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'batch' }, histories)) results.push(result);
    expect(results.map((r) => [r.workflowId, r.error === undefined ? 'ok' : (r.error as Error).constructor.name])).toEqual([
      ['a', 'ok'],
      ['b', 'DeterminismViolationError'],
    ]);
  });
});
