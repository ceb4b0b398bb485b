import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { and, count, desc, eq, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { isDatabaseUnavailable, queryRows, withPlatformScope, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
import { workflowRuns, workflowSteps } from '../../platform/schema.js';
import {
  defaultRetryPolicy,
  NonRetryableError,
  retryDelayMs,
  WorkflowStateError,
  type Json,
  type ListWorkflowsFilter,
  type LocalStepContext,
  type RemoteStepContext,
  type RetryPolicy,
  type StartedWorkflow,
  type StartWorkflowRequest,
  type StepKind,
  type StepOptions,
  type StepResult,
  type WorkflowContext,
  type WorkflowDefinition,
  type WorkflowDescription,
  type WorkflowEngine,
  type WorkflowFailure,
  type WorkflowRun,
  type WorkflowScope,
  type WorkflowStatus,
  type WorkflowStep,
} from './port.js';

// The built-in durable workflow engine: runs and steps checkpointed in CBP's own database
// (PGlite or PostgreSQL, migration 0021). How it works and why: docs/decisions/007.
//
// Execution is replay: a claimed run's workflow code runs from the top; a step whose checkpoint
// says completed returns its stored result, the first one that does not runs. A run is held by
// one engine at a time through a lease (locked_by, locked_until) that heartbeats renew; every
// step begins with a fence (the run row locked FOR UPDATE, still leased to this engine, still
// running), so an engine that lost its lease cannot record anything, and a local step's effect
// commits in the fence's transaction together with its checkpoint.

/** Pino-compatible. */
export interface EngineLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface BuiltinEngineOptions {
  db: AppDb;
  // Definitions with specific input and output types (method parameters are bivariant).
  workflows: readonly WorkflowDefinition[];
  /** Claim and run due workflows (false: a client that only starts, lists and describes). Default true. */
  poll?: boolean;
  /** How often to look for due runs when not woken. Default 1000 ms. */
  pollIntervalMs?: number;
  /** How long a claim holds a run without a heartbeat. Default 30 s. */
  leaseMs?: number;
  /** Default leaseMs / 3. */
  heartbeatMs?: number;
  /** Runs executed at once by this engine. Default 10. */
  concurrency?: number;
  /** Identifies this engine in `locked_by`. Default host:pid:random. */
  engineId?: string;
  /** Default retry policy of every step (a workflow's and a step's own settings go over it). */
  retry?: Partial<RetryPolicy>;
  /**
   * Called in the transaction that records a run's failure (so a domain event written here
   * commits with it). If it throws, the failure is not recorded and the run is tried again.
   */
  onRunFailed?: (tx: ScopedTx, failure: WorkflowFailure) => Promise<void>;
  logger?: EngineLogger;
}

/** The longest the poller waits after database errors in a row. */
const maxPollBackoffMs = 60_000;

/** Unwinds a run's code: the engine has already stored what follows (or must not store anything). */
class WorkflowSignal extends Error {
  constructor(
    readonly action: 'pause' | 'stop' | 'release' | 'lost',
    readonly wakeInMs = 0,
  ) {
    super(`workflow ${action}`);
    this.name = 'WorkflowSignal';
  }
}

interface Claim {
  id: string;
  workflowId: string;
  tenantId: string | null;
  type: string;
  input: Json;
  attempt: number;
  cancelRequested: boolean;
}

interface Checkpoint {
  status: string;
  attempts: number;
  result: { v?: Json } | null;
}

const ms = (value: number) => sql`make_interval(secs => ${value}::double precision / 1000)`;

function errorParts(err: unknown): { message: string; stack: string | null } {
  if (err instanceof Error) return { message: err.message || err.name, stack: err.stack ?? null };
  return { message: String(err), stack: null };
}

const parseJson = (text: string | null): Json | null => (text === null ? null : (JSON.parse(text) as Json));

function mapRun(row: typeof workflowRuns.$inferSelect): WorkflowRun {
  return {
    id: row.id,
    workflowId: row.workflowId,
    tenantId: row.tenantId,
    type: row.type,
    status: row.status,
    attempt: row.attempt,
    input: row.input as Json,
    result: (row.result as Json | null) ?? null,
    error: row.errorMessage === null ? null : { message: row.errorMessage, stack: row.errorStack, step: row.failedStep },
    cancelRequested: row.cancelRequested,
    startedAt: row.createdAt.toISOString(),
    closedAt: row.closedAt?.toISOString() ?? null,
  };
}

function mapStep(row: typeof workflowSteps.$inferSelect): WorkflowStep {
  const stored = row.result as { v?: Json } | null;
  return {
    name: row.name,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    wakeAt: row.status === 'waiting' ? (row.wakeAt?.toISOString() ?? null) : null,
    lastError: row.lastErrorMessage === null ? null : { message: row.lastErrorMessage, stack: row.lastErrorStack },
    result: stored?.v ?? null,
  };
}

export class BuiltinWorkflowEngine implements WorkflowEngine {
  readonly kind = 'builtin';
  readonly engineId: string;
  private readonly db: AppDb;
  private readonly definitions = new Map<string, WorkflowDefinition>();
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly concurrency: number;
  private readonly retryDefaults: RetryPolicy;
  private readonly onRunFailed: BuiltinEngineOptions['onRunFailed'];
  private readonly logger: EngineLogger | undefined;
  private readonly polling: boolean;

  private readonly executions = new Set<Promise<void>>();
  private readonly wakeTimers = new Set<NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private wakeRequested = false;
  private failures = 0;
  private closing = false;

  constructor(options: BuiltinEngineOptions) {
    this.db = options.db;
    for (const definition of options.workflows) {
      if (this.definitions.has(definition.type)) throw new Error(`workflow type ${definition.type} is defined twice`);
      this.definitions.set(definition.type, definition);
    }
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(this.leaseMs / 3));
    this.concurrency = options.concurrency ?? 10;
    this.engineId = options.engineId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.retryDefaults = { ...defaultRetryPolicy, ...options.retry };
    this.onRunFailed = options.onRunFailed;
    this.logger = options.logger;
    this.polling = options.poll ?? true;
    if (this.polling) this.schedule(0);
  }

  // ---------------------------------------------------------------- client side

  async start<I extends Json>(request: StartWorkflowRequest<I>, options: { tx?: ScopedTx } = {}): Promise<StartedWorkflow> {
    const definition = this.definitions.get(request.type);
    if (!definition) throw new Error(`unknown workflow type ${request.type}`);
    const input = definition.parseInput ? definition.parseInput(request.input) : request.input;
    const workflowId = request.workflowId ?? randomUUID();
    const insert = async (tx: ScopedTx): Promise<StartedWorkflow> => {
      const inserted = await queryRows<{ id: string; status: WorkflowStatus }>(
        tx,
        sql`INSERT INTO workflow_runs (tenant_id, workflow_id, type, status, input)
            VALUES (${request.tenantId}, ${workflowId}, ${request.type}, 'running', ${JSON.stringify(input)}::jsonb)
            ON CONFLICT ON CONSTRAINT workflow_runs_workflow_id_key DO NOTHING
            RETURNING id, status`,
      );
      const created = inserted[0];
      if (created) return { runId: created.id, workflowId, created: true, status: created.status };
      const [existing] = await queryRows<{ id: string; status: WorkflowStatus }>(
        tx,
        sql`SELECT id, status FROM workflow_runs WHERE tenant_id IS NOT DISTINCT FROM ${request.tenantId}::uuid AND workflow_id = ${workflowId}`,
      );
      if (!existing) throw new Error(`workflow ${workflowId} exists but is not visible in this scope`);
      return { runId: existing.id, workflowId, created: false, status: existing.status };
    };
    if (options.tx) return insert(options.tx);
    const started = await this.inRunScope(request.tenantId, insert);
    if (started.created) this.wake();
    return started;
  }

  async cancel(scope: WorkflowScope, runId: string, options: { tx?: ScopedTx } = {}): Promise<WorkflowRun | null> {
    const run = await this.inScopeOrTx(scope, options.tx, async (tx) => {
      const [current] = await tx.select().from(workflowRuns).where(this.visible(scope, runId)).for('update');
      if (!current) return null;
      if (current.status !== 'running') throw new WorkflowStateError(`workflow run ${runId} is ${current.status}, not running`, current.status);
      // A run no engine holds (waiting for a retry or a sleep, not yet claimed) is cancelled now;
      // a held one stops before its next step.
      const [updated] = await tx
        .update(workflowRuns)
        .set({
          cancelRequested: true,
          wakeAt: sql`least(${workflowRuns.wakeAt}, now())`,
          status: sql`CASE WHEN ${workflowRuns.lockedUntil} IS NULL OR ${workflowRuns.lockedUntil} < now() THEN 'cancelled' ELSE 'running' END`,
          closedAt: sql`CASE WHEN ${workflowRuns.lockedUntil} IS NULL OR ${workflowRuns.lockedUntil} < now() THEN now() END`,
          updatedAt: sql`now()`,
        })
        .where(eq(workflowRuns.id, runId))
        .returning();
      return updated ?? null;
    });
    if (run?.status === 'running' && !options.tx) this.wake();
    return run ? mapRun(run) : null;
  }

  async retry(scope: WorkflowScope, runId: string, options: { tx?: ScopedTx } = {}): Promise<WorkflowRun | null> {
    const run = await this.inScopeOrTx(scope, options.tx, async (tx) => {
      const [current] = await tx.select().from(workflowRuns).where(this.visible(scope, runId)).for('update');
      if (!current) return null;
      if (current.status !== 'failed') throw new WorkflowStateError(`only a failed run can be retried; ${runId} is ${current.status}`, current.status);
      // Completed steps keep their checkpoints; the failed one starts its attempts again.
      await tx
        .update(workflowSteps)
        .set({ status: 'waiting', attempts: 0, wakeAt: null, finishedAt: null })
        .where(and(eq(workflowSteps.runId, runId), eq(workflowSteps.status, 'failed')));
      const [updated] = await tx
        .update(workflowRuns)
        .set({
          status: 'running',
          attempt: sql`${workflowRuns.attempt} + 1`,
          failedStep: null,
          errorMessage: null,
          errorStack: null,
          closedAt: null,
          cancelRequested: false,
          wakeAt: sql`now()`,
          lockedBy: null,
          lockedUntil: null,
          updatedAt: sql`now()`,
        })
        .where(eq(workflowRuns.id, runId))
        .returning();
      return updated ?? null;
    });
    if (run && !options.tx) this.wake();
    return run ? mapRun(run) : null;
  }

  async list(scope: WorkflowScope, filter: ListWorkflowsFilter = {}): Promise<{ data: WorkflowRun[]; total: number }> {
    const limit = Math.min(100, Math.max(1, filter.limit ?? 20));
    const page = Math.max(1, filter.page ?? 1);
    const conditions: SQL[] = [];
    if ('tenantId' in scope) conditions.push(eq(workflowRuns.tenantId, scope.tenantId));
    else if (filter.tenantId !== undefined) {
      conditions.push(filter.tenantId === null ? isNull(workflowRuns.tenantId) : eq(workflowRuns.tenantId, filter.tenantId));
    }
    if (filter.status) conditions.push(eq(workflowRuns.status, filter.status));
    if (filter.type) conditions.push(eq(workflowRuns.type, filter.type));
    if (filter.from) conditions.push(gte(workflowRuns.createdAt, filter.from));
    if (filter.to) conditions.push(lt(workflowRuns.createdAt, filter.to));
    const where = and(...conditions);
    return this.inViewScope(scope, async (tx) => {
      const rows = await tx
        .select()
        .from(workflowRuns)
        .where(where)
        .orderBy(desc(workflowRuns.createdAt), desc(workflowRuns.id))
        .limit(limit)
        .offset((page - 1) * limit);
      const [total] = await tx.select({ n: count() }).from(workflowRuns).where(where);
      return { data: rows.map(mapRun), total: Number(total?.n ?? 0) };
    });
  }

  async describe(scope: WorkflowScope, runId: string): Promise<WorkflowDescription | null> {
    return this.inViewScope(scope, async (tx) => {
      const [run] = await tx.select().from(workflowRuns).where(this.visible(scope, runId));
      if (!run) return null;
      const steps = (
        await tx.select().from(workflowSteps).where(eq(workflowSteps.runId, runId)).orderBy(workflowSteps.seq, workflowSteps.name)
      ).map(mapStep);
      const open = run.status === 'running' ? steps.find((s) => s.status !== 'completed') : steps.find((s) => s.status === 'failed');
      return { ...mapRun(run), currentStep: open?.name ?? null, steps };
    });
  }

  wake(): void {
    if (!this.polling || this.closing) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    for (const t of this.wakeTimers) clearTimeout(t);
    this.wakeTimers.clear();
    // Runs under way stop at their next step boundary and release their leases.
    while (this.executions.size > 0 || this.ticking) {
      await Promise.allSettled([...this.executions]);
      if (this.ticking) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  // ---------------------------------------------------------------- polling

  private schedule(delayMs: number) {
    if (this.closing) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private wakeIn(delayMs: number) {
    if (this.closing || delayMs >= this.pollIntervalMs) return;
    const t = setTimeout(() => {
      this.wakeTimers.delete(t);
      this.wake();
    }, delayMs + 5);
    t.unref();
    this.wakeTimers.add(t);
  }

  private async tick(): Promise<void> {
    if (this.closing || this.ticking) return;
    this.ticking = true;
    this.wakeRequested = false;
    let more = false;
    try {
      const free = this.concurrency - this.executions.size;
      if (free > 0) {
        const claims = await this.claim(free);
        for (const claim of claims) this.launch(claim);
        more = claims.length === free;
      }
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      const retryInMs = this.backoff();
      if (isDatabaseUnavailable(err)) this.logger?.warn({ failures: this.failures, retryInMs }, 'workflow engine: database unavailable, backing off');
      else this.logger?.error({ err, failures: this.failures, retryInMs }, 'workflow engine: polling failed');
    } finally {
      this.ticking = false;
      if (this.failures > 0) this.schedule(this.backoff());
      else this.schedule(this.wakeRequested || more ? 0 : this.pollIntervalMs);
    }
  }

  private backoff() {
    return Math.min(maxPollBackoffMs, Math.max(this.pollIntervalMs, this.pollIntervalMs * 2 ** this.failures));
  }

  private async claim(limit: number): Promise<Claim[]> {
    const types = [...this.definitions.keys()];
    if (types.length === 0) return [];
    const rows = await withPlatformScope(this.db, (tx) =>
      queryRows<{
        id: string;
        workflow_id: string;
        tenant_id: string | null;
        type: string;
        input_text: string;
        attempt: number;
        cancel_requested: boolean;
      }>(
        tx,
        sql`UPDATE workflow_runs r
            SET locked_by = ${this.engineId}, locked_until = now() + ${ms(this.leaseMs)}, updated_at = now()
            FROM (
              SELECT id FROM workflow_runs
              WHERE status = 'running' AND wake_at <= now()
                AND (locked_until IS NULL OR locked_until < now())
                AND type IN (${sql.join(
                  types.map((t) => sql`${t}`),
                  sql`, `,
                )})
              ORDER BY wake_at
              LIMIT ${limit}
              FOR UPDATE SKIP LOCKED
            ) due
            WHERE r.id = due.id
            RETURNING r.id, r.workflow_id, r.tenant_id, r.type, r.input::text AS input_text, r.attempt, r.cancel_requested`,
      ),
    );
    return rows.map((r) => ({
      id: r.id,
      workflowId: r.workflow_id,
      tenantId: r.tenant_id,
      type: r.type,
      input: parseJson(r.input_text),
      attempt: Number(r.attempt),
      cancelRequested: r.cancel_requested,
    }));
  }

  private launch(claim: Claim) {
    const execution = new RunExecution(this, claim)
      .run()
      .catch((err: unknown) => this.logger?.error({ err, runId: claim.id }, 'workflow engine: execution failed'))
      .finally(() => {
        this.executions.delete(execution);
        this.wake();
      });
    this.executions.add(execution);
  }

  // ---------------------------------------------------------------- used by executions

  /** @internal */
  get isClosing() {
    return this.closing;
  }

  /** @internal */
  definition(type: string) {
    return this.definitions.get(type);
  }

  /** @internal */
  policy(definition: WorkflowDefinition | undefined, options: StepOptions | undefined): RetryPolicy {
    return { ...this.retryDefaults, ...definition?.retry, ...options?.retry };
  }

  /** @internal */
  get settings() {
    return { leaseMs: this.leaseMs, heartbeatMs: this.heartbeatMs, engineId: this.engineId, db: this.db, onRunFailed: this.onRunFailed };
  }

  /** @internal */
  log(level: 'warn' | 'error', obj: object, msg: string) {
    this.logger?.[level](obj, msg);
  }

  /** @internal */
  scheduleWake(delayMs: number) {
    this.wakeIn(delayMs);
  }

  /** A run's work happens in its own tenant's scope (row-level security), or in the platform scope. */
  inRunScope<T>(tenantId: string | null, fn: (tx: ScopedTx) => Promise<T>): Promise<T> {
    return tenantId ? withTenant(this.db, tenantId, fn) : withPlatformScope(this.db, fn);
  }

  private inViewScope<T>(scope: WorkflowScope, fn: (tx: ScopedTx) => Promise<T>): Promise<T> {
    return 'tenantId' in scope ? withTenant(this.db, scope.tenantId, fn) : withPlatformScope(this.db, fn);
  }

  /** In the caller's transaction (opened in the same scope) when given, else in a new one. */
  private inScopeOrTx<T>(scope: WorkflowScope, tx: ScopedTx | undefined, fn: (tx: ScopedTx) => Promise<T>): Promise<T> {
    return tx ? fn(tx) : this.inViewScope(scope, fn);
  }

  /** The run, if the scope may see it (the tenant filter on top of row-level security). */
  private visible(scope: WorkflowScope, runId: string): SQL | undefined {
    return 'tenantId' in scope ? and(eq(workflowRuns.id, runId), eq(workflowRuns.tenantId, scope.tenantId)) : eq(workflowRuns.id, runId);
  }
}

/** One claim of one run: replays its code until it completes, fails, pauses or loses its lease. */
class RunExecution implements WorkflowContext {
  readonly runId: string;
  readonly workflowId: string;
  readonly tenantId: string | null;
  readonly type: string;
  private readonly definition: WorkflowDefinition | undefined;
  private checkpoints = new Map<string, Checkpoint>();
  private readonly seen = new Set<string>();
  private seq = 0;
  private lost = false;
  /** The first signal thrown, in case workflow code swallowed it. */
  private signal: WorkflowSignal | undefined;

  constructor(
    private readonly engine: BuiltinWorkflowEngine,
    private readonly claim: Claim,
  ) {
    this.runId = claim.id;
    this.workflowId = claim.workflowId;
    this.tenantId = claim.tenantId;
    this.type = claim.type;
    this.definition = engine.definition(claim.type);
  }

  async run(): Promise<void> {
    const { heartbeatMs } = this.engine.settings;
    const heartbeat = setInterval(() => void this.heartbeat(), heartbeatMs);
    heartbeat.unref();
    try {
      await this.execute();
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async execute(): Promise<void> {
    try {
      if (!this.definition) throw new Error(`unknown workflow type ${this.type}`);
      if (this.claim.cancelRequested) {
        await this.scoped(async (tx) => this.fence(tx, { cancel: true }));
        return;
      }
      await this.loadCheckpoints();
      const input = this.definition.parseInput ? this.definition.parseInput(this.claim.input) : this.claim.input;
      const output = await this.definition.run(this, input);
      if (this.signal) throw this.signal;
      const stored = output === undefined ? null : JSON.stringify(output);
      await this.scoped(async (tx) => {
        await this.fence(tx, { cancel: false });
        await tx.execute(
          sql`UPDATE workflow_runs SET status = 'completed', result = ${stored}::jsonb, closed_at = now(), updated_at = now(),
                locked_by = NULL, locked_until = NULL
              WHERE id = ${this.runId}`,
        );
      });
    } catch (thrown) {
      const err = this.signal ?? thrown;
      if (err instanceof WorkflowSignal) {
        if (err.action === 'pause') this.engine.scheduleWake(err.wakeInMs);
        if (err.action === 'release') await this.release().catch(() => {});
        return;
      }
      if (isDatabaseUnavailable(err)) {
        // Nothing was recorded; the lease runs out and the run is taken up again.
        this.engine.log('warn', { runId: this.runId }, 'workflow engine: database unavailable during a run');
        return;
      }
      // The workflow's own code threw (outside a step), or its input or type is unknown.
      await this.failRun(null, err).catch((e: unknown) => {
        if (!(e instanceof WorkflowSignal)) throw e;
      });
    }
  }

  private async heartbeat() {
    try {
      const rows = await withPlatformScope(this.engine.settings.db, (tx) =>
        queryRows(
          tx,
          sql`UPDATE workflow_runs SET locked_until = now() + ${ms(this.engine.settings.leaseMs)}
              WHERE id = ${this.runId} AND locked_by = ${this.engine.engineId} AND status = 'running' RETURNING 1 AS ok`,
        ),
      );
      if (rows.length === 0) this.lost = true;
    } catch {
      // The database is away: the fence of the next step tells whether the lease survived.
    }
  }

  private scoped<T>(fn: (tx: ScopedTx) => Promise<T>): Promise<T> {
    return this.engine.inRunScope(this.tenantId, fn);
  }

  private async loadCheckpoints() {
    const rows = await this.scoped((tx) =>
      queryRows<{ name: string; status: string; attempts: number; result_text: string | null }>(
        tx,
        sql`SELECT name, status, attempts, result::text AS result_text FROM workflow_steps WHERE run_id = ${this.runId}`,
      ),
    );
    this.checkpoints = new Map(
      rows.map((r) => [r.name, { status: r.status, attempts: Number(r.attempts), result: parseJson(r.result_text) as { v?: Json } | null }]),
    );
  }

  /**
   * Locks the run row and checks that this engine still holds it and that it is still running
   * (else throws `lost`). With `cancel`, a requested cancellation is carried out here and
   * `true` returned (the caller commits and stops).
   */
  private async fence(tx: ScopedTx, { cancel }: { cancel: boolean }): Promise<boolean> {
    const [row] = await queryRows<{ cancel_requested: boolean }>(
      tx,
      sql`SELECT cancel_requested FROM workflow_runs
          WHERE id = ${this.runId} AND locked_by = ${this.engine.engineId} AND status = 'running'
          FOR UPDATE`,
    );
    if (!row) {
      this.lost = true;
      throw this.raise(new WorkflowSignal('lost'));
    }
    if (cancel && row.cancel_requested) {
      await tx.execute(
        sql`UPDATE workflow_runs SET status = 'cancelled', closed_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
            WHERE id = ${this.runId}`,
      );
      return true;
    }
    return false;
  }

  private raise(signal: WorkflowSignal): WorkflowSignal {
    this.signal ??= signal;
    return signal;
  }

  private async release() {
    await withPlatformScope(this.engine.settings.db, (tx) =>
      tx.execute(
        sql`UPDATE workflow_runs SET locked_by = NULL, locked_until = NULL, wake_at = least(wake_at, now()), updated_at = now()
            WHERE id = ${this.runId} AND locked_by = ${this.engine.engineId}`,
      ),
    );
  }

  /** Common start of every step: determinism checks, replay of a completed checkpoint. */
  private begin(name: string): { seq: number; replay?: { value: Json | undefined }; checkpoint?: Checkpoint } {
    if (this.signal) throw this.signal;
    if (this.seen.has(name)) throw new Error(`step name "${name}" is used twice in workflow ${this.type}: step names must be unique in a run`);
    this.seen.add(name);
    const seq = this.seq++;
    const checkpoint = this.checkpoints.get(name);
    if (checkpoint?.status === 'completed') return { seq, replay: { value: checkpoint.result?.v } };
    if (this.lost) throw this.raise(new WorkflowSignal('lost'));
    if (this.engine.isClosing) throw this.raise(new WorkflowSignal('release'));
    return { seq, checkpoint };
  }

  private info(name: string, attempt: number) {
    return { runId: this.runId, tenantId: this.tenantId, stepName: name, attempt, idempotencyKey: `wf:${this.runId}:${name}` };
  }

  /** Records the completed step; throws `lost` if another engine recorded it first. */
  private async complete(tx: ScopedTx, name: string, seq: number, kind: StepKind, attempt: number, value: StepResult) {
    const stored = JSON.stringify(value === undefined ? {} : { v: value });
    const rows = await queryRows(
      tx,
      sql`INSERT INTO workflow_steps (run_id, tenant_id, name, seq, kind, status, attempts, started_at, finished_at, result)
          VALUES (${this.runId}, ${this.tenantId}, ${name}, ${seq}, ${kind}, 'completed', ${attempt}, now(), clock_timestamp(), ${stored}::jsonb)
          ON CONFLICT (run_id, name) DO UPDATE SET
            status = 'completed', attempts = EXCLUDED.attempts, started_at = coalesce(workflow_steps.started_at, EXCLUDED.started_at),
            finished_at = EXCLUDED.finished_at, result = EXCLUDED.result, wake_at = NULL
          WHERE workflow_steps.status <> 'completed'
          RETURNING 1 AS ok`,
    );
    if (rows.length === 0) {
      this.lost = true;
      throw this.raise(new WorkflowSignal('lost'));
    }
  }

  async step<T extends StepResult>(name: string, fn: (ctx: LocalStepContext) => Promise<T>, options?: StepOptions): Promise<T> {
    const { seq, replay, checkpoint } = this.begin(name);
    if (replay) return replay.value as T;
    const attempt = (checkpoint?.attempts ?? 0) + 1;
    let outcome: { cancelled: true } | { cancelled: false; value: T };
    try {
      outcome = await this.scoped(async (tx) => {
        if (await this.fence(tx, { cancel: true })) return { cancelled: true };
        const value = await fn({ ...this.info(name, attempt), tx });
        await this.complete(tx, name, seq, 'local', attempt, value);
        return { cancelled: false, value };
      });
    } catch (err) {
      if (err instanceof WorkflowSignal || isDatabaseUnavailable(err)) throw err;
      return this.stepFailed(name, seq, 'local', attempt, options, err);
    }
    if (outcome.cancelled) throw this.raise(new WorkflowSignal('stop'));
    return outcome.value;
  }

  async remoteStep<T extends StepResult>(name: string, fn: (ctx: RemoteStepContext) => Promise<T>, options?: StepOptions): Promise<T> {
    const { seq, replay, checkpoint } = this.begin(name);
    if (replay) return replay.value as T;
    const attempt = (checkpoint?.attempts ?? 0) + 1;
    const cancelled = await this.scoped(async (tx) => {
      if (await this.fence(tx, { cancel: true })) return true;
      await tx.execute(
        sql`INSERT INTO workflow_steps (run_id, tenant_id, name, seq, kind, status, attempts, started_at)
            VALUES (${this.runId}, ${this.tenantId}, ${name}, ${seq}, 'remote', 'running', ${attempt}, now())
            ON CONFLICT (run_id, name) DO UPDATE SET status = 'running', attempts = EXCLUDED.attempts, wake_at = NULL,
              started_at = coalesce(workflow_steps.started_at, EXCLUDED.started_at)`,
      );
      return false;
    });
    if (cancelled) throw this.raise(new WorkflowSignal('stop'));
    let value: T;
    try {
      value = await fn(this.info(name, attempt));
    } catch (err) {
      return this.stepFailed(name, seq, 'remote', attempt, options, err);
    }
    // The effect happened: record it even if a cancellation arrived meanwhile (the next step stops).
    await this.scoped(async (tx) => {
      await this.fence(tx, { cancel: false });
      await this.complete(tx, name, seq, 'remote', attempt, value);
    });
    return value;
  }

  async sleep(name: string, durationMs: number): Promise<void> {
    const { seq, replay, checkpoint } = this.begin(name);
    if (replay) return;
    const result = await this.scoped(async (tx): Promise<{ action: 'stop' | 'done' } | { action: 'pause'; remainingMs: number }> => {
      if (await this.fence(tx, { cancel: true })) return { action: 'stop' };
      if (!checkpoint) {
        await tx.execute(
          sql`INSERT INTO workflow_steps (run_id, tenant_id, name, seq, kind, status, attempts, started_at, wake_at)
              VALUES (${this.runId}, ${this.tenantId}, ${name}, ${seq}, 'sleep', 'waiting', 1, now(), now() + ${ms(Math.max(0, durationMs))})
              ON CONFLICT (run_id, name) DO NOTHING`,
        );
      }
      const [row] = await queryRows<{ remaining_ms: number | string }>(
        tx,
        sql`SELECT greatest(0, extract(epoch FROM (wake_at - now())) * 1000)::float8 AS remaining_ms
            FROM workflow_steps WHERE run_id = ${this.runId} AND name = ${name}`,
      );
      const remainingMs = Math.ceil(Number(row?.remaining_ms ?? 0));
      if (remainingMs <= 0) {
        await tx.execute(
          sql`UPDATE workflow_steps SET status = 'completed', finished_at = now(), result = '{}'::jsonb
              WHERE run_id = ${this.runId} AND name = ${name}`,
        );
        return { action: 'done' };
      }
      await tx.execute(
        sql`UPDATE workflow_runs SET wake_at = now() + ${ms(remainingMs)}, locked_by = NULL, locked_until = NULL, updated_at = now()
            WHERE id = ${this.runId}`,
      );
      return { action: 'pause', remainingMs };
    });
    if (result.action === 'done') return;
    throw this.raise(new WorkflowSignal(result.action === 'stop' ? 'stop' : 'pause', 'remainingMs' in result ? result.remainingMs : 0));
  }

  /** A step attempt threw: wait and retry, or fail the run when attempts are exhausted. */
  private async stepFailed(name: string, seq: number, kind: StepKind, attempt: number, options: StepOptions | undefined, err: unknown): Promise<never> {
    if (isDatabaseUnavailable(err)) throw err;
    const policy = this.engine.policy(this.definition, options);
    const final = err instanceof NonRetryableError || attempt >= policy.maxAttempts;
    const { message, stack } = errorParts(err);
    if (final) {
      await this.failRun({ name, seq, kind, attempt }, err);
      throw this.raise(new WorkflowSignal('stop'));
    }
    const delayMs = retryDelayMs(policy, attempt);
    await this.scoped(async (tx) => {
      await this.fence(tx, { cancel: false });
      await tx.execute(
        sql`INSERT INTO workflow_steps (run_id, tenant_id, name, seq, kind, status, attempts, started_at, wake_at, last_error_message, last_error_stack)
            VALUES (${this.runId}, ${this.tenantId}, ${name}, ${seq}, ${kind}, 'waiting', ${attempt}, now(), now() + ${ms(delayMs)}, ${message}, ${stack})
            ON CONFLICT (run_id, name) DO UPDATE SET status = 'waiting', attempts = EXCLUDED.attempts, wake_at = EXCLUDED.wake_at,
              last_error_message = EXCLUDED.last_error_message, last_error_stack = EXCLUDED.last_error_stack`,
      );
      await tx.execute(
        sql`UPDATE workflow_runs SET wake_at = now() + ${ms(delayMs)}, locked_by = NULL, locked_until = NULL, updated_at = now()
            WHERE id = ${this.runId}`,
      );
    });
    throw this.raise(new WorkflowSignal('pause', delayMs));
  }

  /** Records the run's failure (and the failed step's, if any) and announces it through `onRunFailed`. */
  private async failRun(step: { name: string; seq: number; kind: StepKind; attempt: number } | null, err: unknown) {
    const { message, stack } = errorParts(err);
    const stepName = step?.name ?? null;
    await this.scoped(async (tx) => {
      await this.fence(tx, { cancel: false });
      if (step) {
        await tx.execute(
          sql`INSERT INTO workflow_steps (run_id, tenant_id, name, seq, kind, status, attempts, started_at, finished_at, last_error_message, last_error_stack)
              VALUES (${this.runId}, ${this.tenantId}, ${step.name}, ${step.seq}, ${step.kind}, 'failed', ${step.attempt}, now(), clock_timestamp(), ${message}, ${stack})
              ON CONFLICT (run_id, name) DO UPDATE SET status = 'failed', attempts = EXCLUDED.attempts, finished_at = EXCLUDED.finished_at,
                wake_at = NULL, last_error_message = EXCLUDED.last_error_message, last_error_stack = EXCLUDED.last_error_stack`,
        );
      }
      const [run] = await queryRows<{ attempt: number }>(
        tx,
        sql`UPDATE workflow_runs SET status = 'failed', failed_step = ${stepName}, error_message = ${message}, error_stack = ${stack},
              closed_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
            WHERE id = ${this.runId}
            RETURNING attempt`,
      );
      await this.engine.settings.onRunFailed?.(tx, {
        runId: this.runId,
        workflowId: this.workflowId,
        tenantId: this.tenantId,
        type: this.type,
        attempt: Number(run?.attempt ?? this.claim.attempt),
        error: { message, stack, step: stepName },
      });
    });
  }
}

/** The built-in engine; `close()` it when the app closes. */
export function createBuiltinWorkflowEngine(options: BuiltinEngineOptions): BuiltinWorkflowEngine {
  return new BuiltinWorkflowEngine(options);
}
