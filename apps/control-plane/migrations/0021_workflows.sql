-- The built-in durable workflow engine (src/adapters/workflows/builtin.ts, decision 007).
--
-- A run is one execution of a workflow type with its JSON input. Its steps are checkpointed in
-- workflow_steps: a completed step's result is replayed instead of running it again. A local
-- step's effect and its checkpoint commit in one transaction; a remote step (gateway, mail)
-- runs outside any transaction with an idempotency key derived from the run and step name.
--
-- Engines claim due runs (status 'running', wake_at reached, no live lease) with
-- FOR UPDATE SKIP LOCKED, hold them with a lease (locked_by, locked_until) renewed by
-- heartbeats, and every step re-checks the lease under a row lock (fencing), so two engines
-- never run one step at once and a crashed engine's run is taken over after its lease.
-- Retries, backoff and durable sleeps are wake-up times in the rows: they survive restarts.
--
-- tenant_id is null for platform workflows (visible in the platform scope only). No foreign
-- key to tenants: a run may outlive its tenant (the tenant deletion workflow is one).

CREATE TABLE workflow_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid,
  -- The caller's idempotent id (dedupe key): one run per tenant (or platform) and workflow id.
  workflow_id text NOT NULL,
  type text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled', 'timed_out')),
  input jsonb NOT NULL,
  result jsonb,
  -- Retries of the failed run by an operator (1 = the first execution).
  attempt integer NOT NULL DEFAULT 1,
  cancel_requested boolean NOT NULL DEFAULT false,
  failed_step text,
  error_message text,
  error_stack text,
  -- When an engine should look at the run next (start, retry backoff, end of a sleep).
  wake_at timestamptz NOT NULL DEFAULT now(),
  locked_by text,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  CONSTRAINT workflow_runs_workflow_id_key UNIQUE NULLS NOT DISTINCT (tenant_id, workflow_id)
);
CREATE INDEX workflow_runs_due_idx ON workflow_runs (wake_at) WHERE status = 'running';
CREATE INDEX workflow_runs_tenant_idx ON workflow_runs (tenant_id, created_at DESC);
CREATE INDEX workflow_runs_created_idx ON workflow_runs (created_at DESC);
SELECT enable_tenant_isolation('workflow_runs');

CREATE TABLE workflow_steps (
  run_id uuid NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
  tenant_id uuid,
  name text NOT NULL,
  -- Order of the step in the workflow's code (deterministic: the same on every replay).
  seq integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('local', 'remote', 'sleep')),
  status text NOT NULL CHECK (status IN ('running', 'waiting', 'completed', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- A retry's backoff or a sleep's end.
  wake_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  -- {"v": <the step's JSON result>} (absent v: the step returned nothing).
  result jsonb,
  last_error_message text,
  last_error_stack text,
  PRIMARY KEY (run_id, name)
);
SELECT enable_tenant_isolation('workflow_steps');
