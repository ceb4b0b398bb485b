-- Local steps of workflows run by the Temporal adapter (src/adapters/workflows/temporal/,
-- decision 008). A local step is a Temporal activity whose effect is a database transaction;
-- Temporal may run an activity again after it committed (the worker died before reporting
-- the completion, or the report was lost). So the step's effect and this row, holding its
-- result under the step's idempotency key (`wf:<runId>:<stepName>`), commit in one
-- transaction: an attempt that finds the row returns the stored result instead of acting again.
--
-- tenant_id is null for platform workflows (visible in the platform scope only), isolated
-- like workflow_steps (migration 0021). No foreign key to tenants: a run may outlive its tenant.

CREATE TABLE workflow_step_results (
  idempotency_key text PRIMARY KEY,
  tenant_id uuid,
  -- {"v": <the step's JSON result>} (absent v: the step returned nothing).
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_step_results_created_idx ON workflow_step_results (created_at);
SELECT enable_tenant_isolation('workflow_step_results');
