-- Tamper evidence: each audit entry stores the hash of its content chained to the previous
-- entry of the same tenant (in insertion order, `seq`). Computed by the database on insert,
-- so no code path can write an entry outside the chain; `GET /audit-logs/verify` recomputes it.

ALTER TABLE audit_logs
  ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash text;
CREATE UNIQUE INDEX audit_logs_tenant_seq_idx ON audit_logs (tenant_id, seq);

-- The hashed content of an entry: every field, in a fixed order (jsonb renders canonically).
CREATE FUNCTION audit_entry_hash(e audit_logs, prev text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(E'\x1f',
    coalesce(prev, ''), e.id::text, coalesce(e.tenant_id::text, ''), e.actor_type, coalesce(e.actor_id::text, ''),
    coalesce(e.actor_email, ''), e.action, e.target_type, coalesce(e.target_id, ''), coalesce(e.target_name, ''),
    coalesce(e.before::text, ''), coalesce(e.after::text, ''), e.metadata::text, coalesce(e.ip_address, ''),
    coalesce(e.user_agent, ''), to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
  ), 'UTF8')), 'hex')
$$;

CREATE FUNCTION audit_logs_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  previous text;
BEGIN
  -- One writer per tenant chain at a time, until the writing transaction ends.
  PERFORM pg_advisory_xact_lock(hashtext('audit:' || coalesce(NEW.tenant_id::text, 'platform')));
  SELECT hash INTO previous FROM audit_logs
    WHERE tenant_id IS NOT DISTINCT FROM NEW.tenant_id ORDER BY seq DESC LIMIT 1;
  NEW.prev_hash := previous;
  NEW.hash := audit_entry_hash(NEW, previous);
  RETURN NEW;
END
$$;

-- Entries written before this migration join the chain in their insertion order.
DO $$
DECLARE
  r audit_logs;
  previous text;
  current_tenant uuid;
  first boolean := true;
BEGIN
  FOR r IN SELECT * FROM audit_logs ORDER BY tenant_id NULLS FIRST, seq LOOP
    IF first OR r.tenant_id IS DISTINCT FROM current_tenant THEN
      previous := NULL;
      current_tenant := r.tenant_id;
      first := false;
    END IF;
    UPDATE audit_logs SET prev_hash = previous, hash = audit_entry_hash(r, previous) WHERE id = r.id;
    previous := audit_entry_hash(r, previous);
  END LOOP;
END
$$;

CREATE TRIGGER audit_logs_chain BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION audit_logs_chain();
