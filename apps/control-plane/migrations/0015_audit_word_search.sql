-- Audit free text: word-prefix search on a tsvector instead of trigram substrings.
-- Measured at 1M entries (docs/benchmarks.md): a trigram index spends ~20 ms on any word whose
-- trigrams most entries share before it reads a row; a word index lets GIN's fast scan start
-- from the rarest word. Matching: every word typed must begin a word of the entry's action,
-- actor email, target name or id ("4242" finds "Visa •••• 4242", "acme.test" finds
-- "owner@acme.test", "obj-42" finds "obj-4242"); text is split on anything not a letter or digit.

CREATE FUNCTION audit_search_words(action text, actor_email text, target_name text, target_id text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_tsvector('simple'::regconfig, regexp_replace(lower(public.audit_search_text(action, actor_email, target_name, target_id)), '[^[:alnum:]]+', ' ', 'g'))
$$;

-- The query for what a person typed: each word as a prefix, all required; NULL when nothing
-- searchable was typed (matches nothing).
CREATE FUNCTION audit_search_query(typed text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_tsquery('simple'::regconfig, string_agg(w || ':*', ' & '))
  FROM regexp_split_to_table(regexp_replace(lower(typed), '[^[:alnum:]]+', ' ', 'g'), ' ') AS w
  WHERE w <> ''
$$;

CREATE INDEX audit_logs_words_idx ON audit_logs USING gin (audit_search_words(action, actor_email, target_name, target_id));
DROP INDEX IF EXISTS audit_logs_text_idx;
DROP INDEX IF EXISTS audit_logs_search_idx;

-- Same signatures as before (0012 and 0010); p_pattern is now what the person typed.
CREATE OR REPLACE FUNCTION audit_log_search(
  p_pattern text, p_action text, p_actor uuid, p_target_type text, p_target_id text,
  p_from timestamptz, p_to timestamptz, p_before_seq bigint, p_limit integer, p_offset integer
) RETURNS SETOF audit_logs
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  query tsquery := audit_search_query(p_pattern);
  filters text;
  newest text;
  found audit_logs[];
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'audit_log_search needs a tenant scope (app.tenant_id)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF query IS NULL THEN
    RETURN;
  END IF;
  filters := ' WHERE tenant_id = $1'
    || CASE WHEN p_action IS NULL THEN '' ELSE ' AND action = $3' END
    || CASE WHEN p_actor IS NULL THEN '' ELSE ' AND actor_id = $4' END
    || CASE WHEN p_target_type IS NULL THEN '' ELSE ' AND target_type = $5' END
    || CASE WHEN p_target_id IS NULL THEN '' ELSE ' AND target_id = $6' END
    || CASE WHEN p_from IS NULL THEN '' ELSE ' AND created_at >= $7' END
    || CASE WHEN p_to IS NULL THEN '' ELSE ' AND created_at <= $8' END
    || CASE WHEN p_before_seq IS NULL THEN '' ELSE ' AND seq < $9' END;
  newest := CASE WHEN p_before_seq IS NULL THEN 'created_at DESC, id DESC' ELSE 'seq DESC' END;
  -- 1. A common word: the page is usually within the newest 2,000 entries.
  EXECUTE 'SELECT array(SELECT r FROM (SELECT * FROM audit_logs' || filters
    || ' ORDER BY ' || newest || ' LIMIT 2000) r'
    || ' WHERE audit_search_words(r.action, r.actor_email, r.target_name, r.target_id) @@ $2'
    || ' ORDER BY ' || newest || ' LIMIT $10 OFFSET $11)'
    INTO found
    USING tenant, query, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
          p_before_seq, p_limit, coalesce(p_offset, 0);
  IF cardinality(found) >= p_limit THEN
    RETURN QUERY SELECT * FROM unnest(found);
    RETURN;
  END IF;
  -- 2. A rarer word: every match through the word index, then sorted.
  RETURN QUERY EXECUTE 'SELECT * FROM audit_logs' || filters
    || ' AND audit_search_words(action, actor_email, target_name, target_id) @@ $2'
    || ' ORDER BY ' || CASE WHEN p_before_seq IS NULL THEN 'created_at + interval ''0 seconds'' DESC, id DESC' ELSE 'seq + 0 DESC' END
    || ' LIMIT $10 OFFSET $11'
    USING tenant, query, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
          p_before_seq, p_limit, coalesce(p_offset, 0);
END
$$;

CREATE OR REPLACE FUNCTION audit_log_search_count(
  p_pattern text, p_action text, p_actor uuid, p_target_type text, p_target_id text,
  p_from timestamptz, p_to timestamptz, p_cap integer
) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  query tsquery := audit_search_query(p_pattern);
  n bigint;
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'audit_log_search_count needs a tenant scope (app.tenant_id)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF query IS NULL THEN
    RETURN 0;
  END IF;
  EXECUTE
    'SELECT count(*) FROM (SELECT 1 FROM audit_logs WHERE tenant_id = $1
       AND audit_search_words(action, actor_email, target_name, target_id) @@ $2'
    || CASE WHEN p_action IS NULL THEN '' ELSE ' AND action = $3' END
    || CASE WHEN p_actor IS NULL THEN '' ELSE ' AND actor_id = $4' END
    || CASE WHEN p_target_type IS NULL THEN '' ELSE ' AND target_type = $5' END
    || CASE WHEN p_target_id IS NULL THEN '' ELSE ' AND target_id = $6' END
    || CASE WHEN p_from IS NULL THEN '' ELSE ' AND created_at >= $7' END
    || CASE WHEN p_to IS NULL THEN '' ELSE ' AND created_at <= $8' END
    || ' LIMIT $9 + 1) matches'
    INTO n
    USING tenant, query, p_action, p_actor, p_target_type, p_target_id, p_from, p_to, p_cap;
  RETURN n;
END
$$;
