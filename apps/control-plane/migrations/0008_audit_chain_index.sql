-- The chain trigger must find the previous entry through (tenant_id, seq): IS NOT DISTINCT FROM
-- cannot use that index and scanned the whole table on every insert.
CREATE INDEX audit_logs_platform_seq_idx ON audit_logs (seq) WHERE tenant_id IS NULL;

CREATE OR REPLACE FUNCTION audit_logs_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  previous text;
BEGIN
  -- One writer per tenant chain at a time, until the writing transaction ends.
  PERFORM pg_advisory_xact_lock(hashtext('audit:' || coalesce(NEW.tenant_id::text, 'platform')));
  IF NEW.tenant_id IS NULL THEN
    SELECT hash INTO previous FROM audit_logs WHERE tenant_id IS NULL ORDER BY seq DESC LIMIT 1;
  ELSE
    SELECT hash INTO previous FROM audit_logs WHERE tenant_id = NEW.tenant_id ORDER BY seq DESC LIMIT 1;
  END IF;
  NEW.prev_hash := previous;
  NEW.hash := audit_entry_hash(NEW, previous);
  RETURN NEW;
END
$$;
