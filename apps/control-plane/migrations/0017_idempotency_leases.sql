-- Idempotency claims are leases: a claim whose request died with its process (kill -9, crash,
-- lost connection) expires at `locked_until`, and the next retry with the same key takes it over
-- atomically and runs the work. `attempt` counts takeovers and fences completions: an attempt
-- that lost its lease can no longer record its answer under the key.

ALTER TABLE idempotency_keys
  ADD COLUMN locked_until timestamptz,
  ADD COLUMN attempt integer NOT NULL DEFAULT 1;

-- Claims left unfinished before this migration expire now.
UPDATE idempotency_keys SET locked_until = now() WHERE status_code IS NULL;
