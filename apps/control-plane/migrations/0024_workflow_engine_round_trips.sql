-- The built-in workflow engine in fewer round trips (issue #13, performance; docs/benchmarks.md,
-- decision 007). Both functions run as the caller (SECURITY INVOKER): row-level security
-- applies to what they read and write exactly as to the engine's own statements. They set the
-- run's scope with set_config(..., true), local to the current transaction, as withTenant()
-- and withPlatformScope() do: a run's tenant, or the platform scope for platform runs.

-- Scope + fence in one statement, the first of every step's transaction: sets the run's scope
-- and locks the run row if it is still running and leased to this engine (no row: the lease
-- is lost).
CREATE FUNCTION workflow_fence(p_run uuid, p_tenant uuid, p_engine text)
RETURNS TABLE (cancel_requested boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('app.tenant_id', coalesce(p_tenant::text, ''), true),
          set_config('app.scope', CASE WHEN p_tenant IS NULL THEN 'platform' ELSE '' END, true);
  RETURN QUERY
    SELECT r.cancel_requested FROM workflow_runs r
    WHERE r.id = p_run AND r.locked_by = p_engine AND r.status = 'running'
    FOR UPDATE;
END
$$;

-- A run started in one statement (one round trip, no explicit transaction): inserted in its
-- scope, leased to p_engine for p_lease_ms when given (the engine runs it at once), or the
-- existing run of the same (tenant, workflow id) answered with created = false.
CREATE FUNCTION workflow_start(p_tenant uuid, p_workflow_id text, p_type text, p_input jsonb, p_engine text, p_lease_ms double precision)
RETURNS TABLE (id uuid, status text, created boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('app.tenant_id', coalesce(p_tenant::text, ''), true),
          set_config('app.scope', CASE WHEN p_tenant IS NULL THEN 'platform' ELSE '' END, true);
  RETURN QUERY
    INSERT INTO workflow_runs AS r (tenant_id, workflow_id, type, status, input, locked_by, locked_until)
    VALUES (p_tenant, p_workflow_id, p_type, 'running', p_input, p_engine,
            CASE WHEN p_engine IS NULL THEN NULL ELSE now() + make_interval(secs => p_lease_ms / 1000) END)
    ON CONFLICT ON CONSTRAINT workflow_runs_workflow_id_key DO NOTHING
    RETURNING r.id, r.status, true;
  IF NOT FOUND THEN
    RETURN QUERY
      SELECT r.id, r.status, false FROM workflow_runs r
      WHERE r.tenant_id IS NOT DISTINCT FROM p_tenant AND r.workflow_id = p_workflow_id;
  END IF;
END
$$;
