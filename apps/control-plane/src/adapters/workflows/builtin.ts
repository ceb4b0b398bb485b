import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { and, count, desc, eq, getTableColumns, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { pageWithTotal, totalOverAll } from '../../platform/paging.js';
import { isDatabaseUnavailable, preparedQueries, queryRows, readTenant, withPlatformScope, withTenant, type AppDb, type ScopedTx } from '../../platform/db.js';
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
  /**
   * Runs executed at once by this engine. Default 30: a run holds a pooled connection only
   * during a step's transaction, so more runs than connections keep them busy
   * (docs/benchmarks.md, workflows: 10 -> 30 took three-step runs from ~480 to ~550/s).
   */
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
  /** The run's checkpoints, read with the claim (a run started by this engine has none). */
  checkpoints: Map<string, Checkpoint>;
}

/** A completed local step whose transaction is still open (see RunExecution.holdOpen). */
interface HeldStep {
  /** Hands the transaction `more` work (or none) before it commits; false if it has committed already. */
  take(more: ((tx: ScopedTx) => Promise<void>) | null): boolean;
  committed: Promise<unknown>;
  step: { name: string; seq: number; attempt: number; options: StepOptions | undefined };
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

/** A tenant's page of runs, prepared once per combination of filters (values as placeholders). */
const tenantRunPage = preparedQueries('cbp_workflows_runs', (shape: { status: boolean; type: boolean; from: boolean; to: boolean }, q) => {
  const p = sql.placeholder;
  return q
    .select({ ...getTableColumns(workflowRuns), total: totalOverAll })
    .from(workflowRuns)
    .where(
      and(
        eq(workflowRuns.tenantId, p('tenantId')),
        shape.status ? eq(workflowRuns.status, p('status')) : undefined,
        shape.type ? eq(workflowRuns.type, p('type')) : undefined,
        shape.from ? gte(workflowRuns.createdAt, p('from')) : undefined,
        shape.to ? lt(workflowRuns.createdAt, p('to')) : undefined,
      ),
    )
    .orderBy(desc(workflowRuns.createdAt), desc(workflowRuns.id))
    .limit(p('limit'))
    .offset(p('offset'));
});

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
  /** Slots taken by start() calls that will run their new run here at once. */
  private reserved = 0;
  private ticking = false;
  private wakeRequested = false;
  /** The last poll found fewer due runs than it had slots for, and nothing woke the engine since. */
  private idle = false;
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
    this.concurrency = options.concurrency ?? 30;
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
    // Not in a caller's transaction and a slot free: the new run is inserted leased to this
    // engine and runs here as soon as it is committed (no poll, no claim). If this process dies
    // first, the lease runs out and any engine claims it, as after a crash mid-run.
    const runHere = !options.tx && this.polling && !this.closing && this.executions.size + this.reserved < this.concurrency;
    // In the caller's transaction (transactional start): the run waits for a poll.
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
    // One statement, its own transaction: workflow_start (migration 0024) sets the run's scope,
    // inserts it (leased to this engine when it runs here) or answers the existing one.
    const startHere = async (): Promise<StartedWorkflow> => {
      const [row] = await queryRows<{ id: string; status: WorkflowStatus; created: boolean }>(
        this.db,
        sql`SELECT id, status, created FROM workflow_start(${request.tenantId}::uuid, ${workflowId}, ${request.type},
              ${JSON.stringify(input)}::jsonb, ${runHere ? this.engineId : null}::text, ${this.leaseMs}::double precision)`,
      );
      if (!row) throw new Error(`workflow ${workflowId} exists but is not visible in this scope`);
      return { runId: row.id, workflowId, created: row.created, status: row.status };
    };
    if (!runHere) {
      const started = await startHere();
      if (started.created) this.wake();
      return started;
    }
    this.reserved += 1;
    let started: StartedWorkflow;
    try {
      started = await startHere();
    } finally {
      this.reserved -= 1;
    }
    if (started.created) {
      this.launch({
        id: started.runId,
        workflowId,
        tenantId: request.tenantId,
        type: request.type,
        input: input as Json,
        attempt: 1,
        cancelRequested: false,
        checkpoints: new Map(),
      });
    }
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
    // Built only where it is used (platform views, a page past the end): a tenant's page is prepared.
    const where = () =>
      and(
        'tenantId' in scope
          ? eq(workflowRuns.tenantId, scope.tenantId)
          : filter.tenantId === undefined
            ? undefined
            : filter.tenantId === null
              ? isNull(workflowRuns.tenantId)
              : eq(workflowRuns.tenantId, filter.tenantId),
        filter.status ? eq(workflowRuns.status, filter.status) : undefined,
        filter.type ? eq(workflowRuns.type, filter.type) : undefined,
        filter.from ? gte(workflowRuns.createdAt, filter.from) : undefined,
        filter.to ? lt(workflowRuns.createdAt, filter.to) : undefined,
      );
    return this.inReadScope(scope, async (tx) => {
      const offset = (page - 1) * limit;
      const values = { tenantId: 'tenantId' in scope ? scope.tenantId : null, status: filter.status, type: filter.type, from: filter.from, to: filter.to, limit, offset };
      const { rows, total } = await pageWithTotal(
        'tenantId' in scope
          ? await tenantRunPage({ status: !!filter.status, type: !!filter.type, from: !!filter.from, to: !!filter.to })(tx, values)
          : await tx
              .select({ ...getTableColumns(workflowRuns), total: totalOverAll })
              .from(workflowRuns)
              .where(where())
              .orderBy(desc(workflowRuns.createdAt), desc(workflowRuns.id))
              .limit(limit)
              .offset(offset),
        offset,
        async () => Number((await tx.select({ n: count() }).from(workflowRuns).where(where()))[0]?.n ?? 0),
      );
      return { data: rows.map(mapRun), total };
    });
  }

  async describe(scope: WorkflowScope, runId: string): Promise<WorkflowDescription | null> {
    return this.inReadScope(scope, async (tx) => {
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
    this.idle = false;
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
      const free = this.concurrency - this.executions.size - this.reserved;
      if (free > 0) {
        const claims = await this.claim(free);
        for (const claim of claims) this.launch(claim);
        more = claims.length === free;
        if (!more && !this.wakeRequested) this.idle = true;
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
        steps_text: string | null;
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
            RETURNING r.id, r.workflow_id, r.tenant_id, r.type, r.input::text AS input_text, r.attempt, r.cancel_requested,
              (SELECT json_agg(json_build_object('name', s.name, 'status', s.status, 'attempts', s.attempts, 'result', s.result))::text
               FROM workflow_steps s WHERE s.run_id = r.id) AS steps_text`,
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
      checkpoints: new Map(
        ((parseJson(r.steps_text) ?? []) as { name: string; status: string; attempts: number; result: { v?: Json } | null }[]).map((c) => [
          c.name,
          { status: c.status, attempts: Number(c.attempts), result: c.result },
        ]),
      ),
    }));
  }

  private launch(claim: Claim) {
    const execution = new RunExecution(this, claim)
      .run()
      .catch((err: unknown) => this.logger?.error({ err, runId: claim.id }, 'workflow engine: execution failed'))
      .finally(() => {
        this.executions.delete(execution);
        // A slot is free: poll at once only if runs may be waiting for one (else at the interval).
        if (!this.idle) this.wake();
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

  /** inViewScope for work that only reads (a tenant's lists and statuses: readTenant). */
  private inReadScope<T>(scope: WorkflowScope, fn: (tx: ScopedTx) => Promise<T>): Promise<T> {
    return 'tenantId' in scope ? readTenant(this.db, scope.tenantId, fn) : withPlatformScope(this.db, fn);
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
  private readonly checkpoints: Map<string, Checkpoint>;
  private readonly seen = new Set<string>();
  private seq = 0;
  private lost = false;
  /** Local steps under way (more than one only if the workflow code runs steps concurrently). */
  private inFlight = 0;
  private held: HeldStep | undefined;
  /** cancel_requested as read by each open transaction's fence. */
  private readonly fences = new WeakMap<ScopedTx, boolean>();
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
    this.checkpoints = claim.checkpoints;
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
      const input = this.definition.parseInput ? this.definition.parseInput(this.claim.input) : this.claim.input;
      const output = await this.definition.run(this, input);
      if (this.signal) throw this.signal;
      const stored = output === undefined ? null : JSON.stringify(output);
      const close = async (tx: ScopedTx) => {
        await tx.execute(
          sql`UPDATE workflow_runs SET status = 'completed', result = ${stored}::jsonb, closed_at = now(), updated_at = now(),
                locked_by = NULL, locked_until = NULL
              WHERE id = ${this.runId}`,
        );
      };
      // Usually the last step's transaction is still open (fenced, its row lock held): the run
      // completes in it, with that step's checkpoint.
      if (!(await this.flush(close))) {
        await this.scoped(async (tx) => {
          await this.fence(tx, { cancel: false });
          await close(tx);
        });
      }
    } catch (thrown) {
      // A completed step still open commits first (its effect and checkpoint stand).
      await this.flush().catch(() => {});
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

  /**
   * A transaction of this run, fenced: its first statement (`workflow_fence`, migration 0024)
   * sets the run's scope (its tenant, or the platform) as withTenant/withPlatformScope do, and
   * locks the run row if it is still running and leased to this engine; else `lost` is thrown
   * and nothing is recorded. Scope and fence in one round trip.
   */
  private scoped<T>(fn: (tx: ScopedTx) => Promise<T>): Promise<T> {
    return this.engine.settings.db.transaction(async (raw) => {
      // Scoped by workflow_fence below (set_config local to this transaction).
      const tx = raw as ScopedTx;
      const [row] = await queryRows<{ cancel_requested: boolean }>(
        tx,
        sql`SELECT cancel_requested FROM workflow_fence(${this.runId}::uuid, ${this.tenantId}::uuid, ${this.engine.engineId})`,
      );
      if (!row) {
        this.lost = true;
        throw this.raise(new WorkflowSignal('lost'));
      }
      this.fences.set(tx, row.cancel_requested);
      return fn(tx);
    });
  }

  /**
   * The fence of a transaction from `scoped` (the run row is locked, this engine holds it).
   * With `cancel`, a requested cancellation is carried out here and `true` returned (the
   * caller commits and stops).
   */
  private async fence(tx: ScopedTx, { cancel }: { cancel: boolean }): Promise<boolean> {
    const cancelRequested = this.fences.get(tx);
    if (cancelRequested === undefined) throw new Error('workflow engine: fence outside a fenced transaction');
    if (cancel && cancelRequested) {
      await tx.execute(
        sql`UPDATE workflow_runs SET status = 'cancelled', closed_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
            WHERE id = ${this.runId}`,
      );
      return true;
    }
    return false;
  }

  /**
   * Runs a local step's transaction; if `hold(result)` and no other step is under way, the
   * result is handed to the workflow code while the transaction stays open, so that what the
   * code does next can join it: returning from the workflow completes the run in it (one
   * transaction less per run); anything else commits it first (flush). It commits on its own
   * at the next turn of the event loop if nothing came (workflow code between steps is plain
   * computation).
   */
  private holdOpen<T>(step: HeldStep['step'], work: (tx: ScopedTx) => Promise<T>, hold: (result: T) => boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let handed = false;
      const holder: HeldStep = { take: () => false, committed: Promise.resolve(), step };
      const committed = this.scoped(async (tx) => {
        const result = await work(tx);
        if (!hold(result) || this.inFlight > 1 || this.signal || this.held) return result;
        let taken = false;
        let next!: (more: ((tx: ScopedTx) => Promise<void>) | null) => void;
        const more = new Promise<((tx: ScopedTx) => Promise<void>) | null>((r) => {
          next = r;
        });
        holder.take = (extra) => {
          if (taken) return false;
          taken = true;
          next(extra);
          return true;
        };
        this.held = holder;
        handed = true;
        resolve(result);
        const timer = setImmediate(() => holder.take(null));
        const extra = await more;
        clearImmediate(timer);
        if (extra) await extra(tx);
        return result;
      });
      holder.committed = committed;
      committed.then(
        (result) => {
          if (!handed) resolve(result);
        },
        (err: unknown) => {
          if (!handed) reject(err);
        },
      );
    });
  }

  /**
   * Commits the step held open, with `more` in its transaction if it is still open; true if
   * `more` ran there. A failed commit is that step's failed attempt.
   */
  private async flush(more: ((tx: ScopedTx) => Promise<void>) | null = null): Promise<boolean> {
    const held = this.held;
    if (!held) return false;
    this.held = undefined;
    const joined = held.take(more);
    try {
      await held.committed;
    } catch (err) {
      if (err instanceof WorkflowSignal || isDatabaseUnavailable(err)) throw err;
      const { name, seq, attempt, options } = held.step;
      return this.stepFailed(name, seq, 'local', attempt, options, err);
    }
    return joined && more !== null;
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
    await this.flush();
    const attempt = (checkpoint?.attempts ?? 0) + 1;
    let outcome: { cancelled: true } | { cancelled: false; value: T };
    this.inFlight += 1;
    try {
      outcome = await this.holdOpen(
        { name, seq, attempt, options },
        async (tx): Promise<typeof outcome> => {
          if (await this.fence(tx, { cancel: true })) return { cancelled: true };
          const value = await fn({ ...this.info(name, attempt), tx });
          await this.complete(tx, name, seq, 'local', attempt, value);
          return { cancelled: false, value };
        },
        (o) => !o.cancelled,
      );
    } catch (err) {
      if (err instanceof WorkflowSignal || isDatabaseUnavailable(err)) throw err;
      return this.stepFailed(name, seq, 'local', attempt, options, err);
    } finally {
      this.inFlight -= 1;
    }
    if (outcome.cancelled) throw this.raise(new WorkflowSignal('stop'));
    return outcome.value;
  }

  async remoteStep<T extends StepResult>(name: string, fn: (ctx: RemoteStepContext) => Promise<T>, options?: StepOptions): Promise<T> {
    const { seq, replay, checkpoint } = this.begin(name);
    if (replay) return replay.value as T;
    await this.flush();
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
    await this.flush();
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
