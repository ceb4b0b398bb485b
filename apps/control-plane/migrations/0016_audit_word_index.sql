-- Audit free text through a per-tenant word index (docs/decisions/005-audit-search-under-rls.md).
--
-- Measured at 1M entries: the trigram index spent ~20 ms on the trigrams every entry shares
-- ("obj", "bje"... of `Object`) before reading a row, and a first page ran it twice. Here
-- each entry's searched text (audit_search_text) is split into words (lower-cased runs of
-- [a-z0-9], 2+ characters) kept by the database:
-- * audit_search.audit_log_vocabulary: one row per tenant and word, with the number of
--   entries that contain it (small: thousands of rows per tenant);
-- * audit_search.audit_log_words: the postings, one row per word and entry, in the viewer's
--   order (word, created_at, seq).
-- Matching is unchanged (substring ILIKE over audit_search_text): every run of [a-z0-9]
-- in the lower-cased pattern lies inside some word of a matching entry, so the entries
-- holding a vocabulary word that contains the pattern's rarest run are a superset of the
-- matches, read newest first; each is then checked with the same ILIKE. Patterns without
-- such a run, or whose runs each occur in too many words, use the trigram index as before.
--
-- The tables live in a schema of their own that the API's role has no privilege on (migrate()
-- grants data access on every table of `public`): only the SECURITY DEFINER triggers and search
-- functions below, owned by the schema owner, read or write them. They follow the entries:
-- statement-level triggers on audit_logs (insert, the retention purge, the owner-only update),
-- and the tenant's deletion (cascade to the vocabulary, whose trigger drops the postings).

CREATE SCHEMA audit_search;
REVOKE ALL ON SCHEMA audit_search FROM PUBLIC;

-- The words of a searched text: distinct lower-cased runs of [a-z0-9] of 2+ characters. A run
-- longer than 100 characters is recorded as the empty word, which every search also reads
-- (it can contain any fragment). A set-returning SQL function, so the planner inlines it
-- (about 15 times faster than a function returning an array).
CREATE FUNCTION audit_search.words(t text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT DISTINCT CASE WHEN length(w) <= 100 THEN w ELSE '' END
  FROM regexp_split_to_table(lower(t), '[^a-z0-9]+') AS w
  WHERE length(w) >= 2
$$;

CREATE TABLE audit_search.audit_log_vocabulary (
  word_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  word text NOT NULL,
  -- How many of the tenant's entries hold the word (its postings): what a search costs.
  entries bigint NOT NULL,
  UNIQUE (tenant_id, word)
);

-- No foreign key (one check per posting would double the write cost); the vocabulary's
-- delete trigger removes a word's postings with it.
CREATE TABLE audit_search.audit_log_words (
  word_id bigint NOT NULL,
  created_at timestamptz NOT NULL,
  seq bigint NOT NULL
);

-- Keeps the index in step with audit_logs, one statement at a time (transition tables).
-- Writers of one tenant are serialised by the chain trigger's advisory lock (0007), and so is
-- the retention purge, so the vocabulary counts need no further locking.
CREATE FUNCTION audit_search.entries_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  emptied bigint[];
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    -- Entries of a deleted tenant are skipped: its vocabulary goes by cascade, with its postings.
    WITH tokens AS MATERIALIZED (
      SELECT r.tenant_id, r.created_at, r.seq, w.word
      FROM (SELECT * FROM removed WHERE tenant_id IN (SELECT id FROM tenants)) r
      CROSS JOIN LATERAL audit_search.words(public.audit_search_text(r.action, r.actor_email, r.target_name, r.target_id)) AS w(word)
    ), gone AS MATERIALIZED (
      SELECT v.word_id, t.created_at, t.seq
      FROM tokens t JOIN audit_search.audit_log_vocabulary v ON v.tenant_id = t.tenant_id AND v.word = t.word
    ), postings AS (
      DELETE FROM audit_search.audit_log_words p USING gone g
      WHERE p.word_id = g.word_id AND p.created_at = g.created_at AND p.seq = g.seq
      RETURNING p.word_id
    ), counted AS (
      UPDATE audit_search.audit_log_vocabulary v SET entries = v.entries - g.n
      FROM (SELECT word_id, count(*) AS n FROM postings GROUP BY word_id) g
      WHERE v.word_id = g.word_id
      RETURNING v.word_id, v.entries
    )
    SELECT array_agg(word_id) FILTER (WHERE entries <= 0) INTO emptied FROM counted;
    -- Words no entry holds any more leave the vocabulary.
    IF emptied IS NOT NULL THEN
      DELETE FROM audit_search.audit_log_vocabulary WHERE word_id = ANY (emptied) AND entries <= 0;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    WITH tokens AS MATERIALIZED (
      SELECT a.tenant_id, a.created_at, a.seq, w.word
      FROM added a
      CROSS JOIN LATERAL audit_search.words(public.audit_search_text(a.action, a.actor_email, a.target_name, a.target_id)) AS w(word)
      WHERE a.tenant_id IS NOT NULL
    ), vocabulary AS (
      INSERT INTO audit_search.audit_log_vocabulary AS v (tenant_id, word, entries)
      SELECT tenant_id, word, count(*) FROM tokens GROUP BY tenant_id, word
      ON CONFLICT (tenant_id, word) DO UPDATE SET entries = v.entries + excluded.entries
      RETURNING v.word_id, v.tenant_id, v.word
    )
    INSERT INTO audit_search.audit_log_words (word_id, created_at, seq)
    SELECT v.word_id, t.created_at, t.seq FROM tokens t JOIN vocabulary v USING (tenant_id, word);
  END IF;
  RETURN NULL;
END
$$;

-- Created before the backfill: their lock on audit_logs holds back writers until this
-- migration commits, so no entry is missed or indexed twice.
CREATE TRIGGER audit_search_added AFTER INSERT ON audit_logs
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audit_search.entries_changed();
CREATE TRIGGER audit_search_removed AFTER DELETE ON audit_logs
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION audit_search.entries_changed();
-- Updates are refused (0009) unless someone holding the owner role disables that guard; the
-- index then follows the rows, so search keeps answering exactly what ILIKE would.
CREATE TRIGGER audit_search_updated AFTER UPDATE ON audit_logs
  REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audit_search.entries_changed();

CREATE FUNCTION audit_search.entries_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  TRUNCATE audit_search.audit_log_words, audit_search.audit_log_vocabulary;
  RETURN NULL;
END
$$;
CREATE TRIGGER audit_search_truncated AFTER TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_search.entries_truncated();

-- A word leaves the vocabulary (no entry holds it any more, or its tenant was deleted).
CREATE FUNCTION audit_search.words_removed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM audit_search.audit_log_words WHERE word_id IN (SELECT word_id FROM gone_words);
  RETURN NULL;
END
$$;
CREATE TRIGGER audit_search_words_removed AFTER DELETE ON audit_search.audit_log_vocabulary
  REFERENCING OLD TABLE AS gone_words FOR EACH STATEMENT EXECUTE FUNCTION audit_search.words_removed();

-- Backfill, then the postings' key (built once, sorted, instead of row by row).
INSERT INTO audit_search.audit_log_vocabulary (tenant_id, word, entries)
  SELECT a.tenant_id, w.word, count(*)
  FROM audit_logs a
  CROSS JOIN LATERAL audit_search.words(public.audit_search_text(a.action, a.actor_email, a.target_name, a.target_id)) AS w(word)
  WHERE a.tenant_id IS NOT NULL
  GROUP BY 1, 2;
ANALYZE audit_search.audit_log_vocabulary;
INSERT INTO audit_search.audit_log_words (word_id, created_at, seq)
  SELECT v.word_id, a.created_at, a.seq
  FROM audit_logs a
  CROSS JOIN LATERAL audit_search.words(public.audit_search_text(a.action, a.actor_email, a.target_name, a.target_id)) AS w(word)
  JOIN audit_search.audit_log_vocabulary v ON v.tenant_id = a.tenant_id AND v.word = w.word
  WHERE a.tenant_id IS NOT NULL;
ALTER TABLE audit_search.audit_log_words ADD PRIMARY KEY (word_id, created_at, seq);

-- Vocabulary words containing a fragment, by trigram where pg_trgm is installed (0010).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX audit_log_vocabulary_trgm_idx ON audit_search.audit_log_vocabulary USING gin (word gin_trgm_ops);
  END IF;
END
$$;

-- The words whose postings hold every entry of `p_tenant` that can match `p_pattern` (an
-- escaped ILIKE pattern), and how many postings that is: for each run of [a-z0-9] (2+
-- characters) of the lower-cased pattern, the vocabulary words containing it (plus the empty
-- word of overlong runs); the run with the fewest postings wins. NULL when no run qualifies
-- (none, or each is in more than 64 words): the caller then searches without the word index.
-- An empty array: no entry can match.
CREATE FUNCTION audit_search.candidate_words(p_tenant uuid, p_pattern text, OUT word_ids bigint[], OUT postings bigint)
LANGUAGE sql STABLE AS $$
  WITH fragments AS (
    SELECT DISTINCT m[1] AS fragment FROM regexp_matches(lower(p_pattern), '[a-z0-9]{2,}', 'g') AS m
  ), overlong AS (
    SELECT array_agg(word_id) AS ids, sum(entries) AS n
    FROM audit_search.audit_log_vocabulary WHERE tenant_id = p_tenant AND word = ''
  ), choices AS (
    SELECT f.fragment, coalesce(array_agg(v.word_id) FILTER (WHERE v.word_id IS NOT NULL), '{}') AS ids,
           coalesce(sum(v.entries), 0) AS n, count(v.word_id) AS words
    FROM fragments f
    LEFT JOIN LATERAL (
      SELECT word_id, entries FROM audit_search.audit_log_vocabulary
      WHERE tenant_id = p_tenant AND word LIKE '%' || f.fragment || '%'
      LIMIT 65
    ) v ON true
    GROUP BY f.fragment
  )
  SELECT c.ids || coalesce(o.ids, '{}'), c.n + coalesce(o.n, 0)
  FROM choices c CROSS JOIN overlong o
  WHERE c.words <= 64
  ORDER BY c.n, c.fragment
  LIMIT 1
$$;

-- A match found through the postings: its place in the viewer's order, and its key.
CREATE TYPE audit_search.hit AS (created_at timestamptz, id uuid, seq bigint);

-- The tenant's entries matching `p_pattern` and the other filters among the postings of
-- `p_words`, newest first, until `p_need` are found (or the postings end). The postings are
-- read in batches in key order (created_at, seq): each word's newest first, merged (one
-- ordered index scan per word), then deduplicated (an entry may hold several of the words);
-- each candidate is checked with the same ILIKE and filters on its entry. The result holds
-- every match down to the last batch read (at least p_need when there are that many), in
-- postings order.
CREATE FUNCTION audit_search.walk(
  p_tenant uuid, p_pattern text, p_words bigint[], p_action text, p_actor uuid, p_target_type text, p_target_id text,
  p_from timestamptz, p_to timestamptz, p_need integer
) RETURNS audit_search.hit[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
  -- $7/$8: time bounds; $9/$10: the cursor (key of the last posting read); $11: batch size.
  -- Each word's scan is its own parenthesised, ordered branch, so the planner merges them.
  batch_sql text := 'WITH c AS MATERIALIZED (SELECT created_at, seq FROM ('
    || (SELECT string_agg(format('(SELECT created_at, seq FROM audit_search.audit_log_words'
          || ' WHERE word_id = %s AND created_at >= $7 AND created_at <= $8 AND (created_at, seq) < ($9, $10)'
          || ' ORDER BY created_at DESC, seq DESC)', id), ' UNION ALL ')
        FROM unnest(p_words) AS id)
    || ') u ORDER BY created_at DESC, seq DESC LIMIT $11)
    SELECT (SELECT count(*) FROM c),
           (SELECT created_at FROM c ORDER BY created_at, seq LIMIT 1),
           (SELECT seq FROM c ORDER BY created_at, seq LIMIT 1),
           array(SELECT row(m.created_at, m.id, m.seq)::audit_search.hit
                 FROM (SELECT DISTINCT created_at, seq FROM c) c CROSS JOIN LATERAL (
                   SELECT e.created_at, e.id, e.seq FROM audit_logs e
                   WHERE e.tenant_id = $1 AND e.seq = c.seq
                     AND public.audit_search_text(e.action, e.actor_email, e.target_name, e.target_id) ILIKE $2'
    || CASE WHEN p_action IS NULL THEN '' ELSE ' AND e.action = $3' END
    || CASE WHEN p_actor IS NULL THEN '' ELSE ' AND e.actor_id = $4' END
    || CASE WHEN p_target_type IS NULL THEN '' ELSE ' AND e.target_type = $5' END
    || CASE WHEN p_target_id IS NULL THEN '' ELSE ' AND e.target_id = $6' END
    || ' OFFSET 0) m ORDER BY c.created_at DESC, c.seq DESC)';
  lower_bound constant timestamptz := coalesce(p_from, '-infinity');
  upper_bound constant timestamptz := coalesce(p_to, 'infinity');
  cursor_at timestamptz := 'infinity';
  cursor_seq bigint := 9223372036854775807;
  size integer := p_need + 16;
  postings bigint;
  batch audit_search.hit[];
  hits audit_search.hit[] := '{}';
BEGIN
  LOOP
    EXECUTE batch_sql INTO postings, cursor_at, cursor_seq, batch
      USING p_tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, lower_bound, upper_bound,
            cursor_at, cursor_seq, size;
    hits := hits || batch;
    EXIT WHEN postings < size OR cardinality(hits) >= p_need;
    size := least(size * 4, greatest(size, 20000));
  END LOOP;
  -- The viewer orders by (created_at, id), the postings by (created_at, seq): entries of the
  -- same instant as the p_need-th match may lie beyond the cursor and still sort before it.
  IF postings = size AND cardinality(hits) >= p_need AND hits[p_need].created_at = cursor_at THEN
    EXECUTE batch_sql INTO postings, cursor_at, cursor_seq, batch
      USING p_tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, cursor_at, upper_bound,
            cursor_at, cursor_seq, NULL::integer;
    hits := hits || batch;
  END IF;
  RETURN hits;
END
$$;

-- A page of text matches (newest first), or with p_before_seq a keyset batch for exports
-- (entries before that seq, by seq descending). Scoped to the transaction's tenant.
CREATE OR REPLACE FUNCTION audit_log_search(
  p_pattern text, p_action text, p_actor uuid, p_target_type text, p_target_id text,
  p_from timestamptz, p_to timestamptz, p_before_seq bigint, p_limit integer, p_offset integer
) RETURNS SETOF audit_logs
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  skip integer := coalesce(p_offset, 0);
  narrowed boolean := p_action IS NOT NULL OR p_actor IS NOT NULL OR p_target_type IS NOT NULL OR p_target_id IS NOT NULL;
  words bigint[];
  postings bigint;
  hits audit_search.hit[];
  filters text;
  newest text;
  found audit_logs[];
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'audit_log_search needs a tenant scope (app.tenant_id)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT w.word_ids, w.postings INTO words, postings FROM audit_search.candidate_words(tenant, p_pattern) w;
  IF cardinality(words) = 0 THEN
    RETURN;
  END IF;
  -- 1. A page filtered by text (and dates) only: the word index, newest first.
  IF words IS NOT NULL AND p_before_seq IS NULL AND NOT narrowed THEN
    hits := audit_search.walk(tenant, p_pattern, words, NULL, NULL, NULL, NULL, p_from, p_to, skip + p_limit);
    RETURN QUERY SELECT e.* FROM (SELECT * FROM unnest(hits) h ORDER BY h.created_at DESC, h.id DESC LIMIT p_limit OFFSET skip) h
      JOIN audit_logs e ON e.tenant_id = tenant AND e.seq = h.seq
      ORDER BY h.created_at DESC, h.id DESC;
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
  -- 2. Other filters too, or an export batch: the page is usually within the newest 2,000
  --    entries matching the other filters, read newest-first from an index.
  EXECUTE 'SELECT array(SELECT r FROM (SELECT * FROM audit_logs' || filters
    || ' ORDER BY ' || newest || ' LIMIT 2000) r'
    || ' WHERE audit_search_text(r.action, r.actor_email, r.target_name, r.target_id) ILIKE $2'
    || ' ORDER BY ' || newest || ' LIMIT $10 OFFSET $11)'
    INTO found
    USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
          p_before_seq, p_limit, skip;
  IF cardinality(found) >= p_limit THEN
    RETURN QUERY SELECT * FROM unnest(found);
    RETURN;
  END IF;
  -- 3. The word index checking the other filters on each candidate, unless the word is
  --    common (a rare filter would then mean reading many candidates for each match).
  IF words IS NOT NULL AND p_before_seq IS NULL AND postings <= 20000 THEN
    hits := audit_search.walk(tenant, p_pattern, words, p_action, p_actor, p_target_type, p_target_id, p_from, p_to, skip + p_limit);
    RETURN QUERY SELECT e.* FROM (SELECT * FROM unnest(hits) h ORDER BY h.created_at DESC, h.id DESC LIMIT p_limit OFFSET skip) h
      JOIN audit_logs e ON e.tenant_id = tenant AND e.seq = h.seq
      ORDER BY h.created_at DESC, h.id DESC;
    RETURN;
  END IF;
  -- 4. An export batch: every posting of the words before the cursor, sorted by seq from the
  --    index alone, each candidate checked until the batch is full.
  IF words IS NOT NULL AND p_before_seq IS NOT NULL THEN
    RETURN QUERY EXECUTE 'SELECT (m.e).* FROM (
        SELECT DISTINCT seq FROM audit_search.audit_log_words
        WHERE word_id = ANY ($12) AND seq < $9 AND created_at >= $13 AND created_at <= $14
      ) c CROSS JOIN LATERAL (
        SELECT e FROM audit_logs e WHERE e.tenant_id = $1 AND e.seq = c.seq
          AND audit_search_text(e.action, e.actor_email, e.target_name, e.target_id) ILIKE $2'
      || CASE WHEN p_action IS NULL THEN '' ELSE ' AND e.action = $3' END
      || CASE WHEN p_actor IS NULL THEN '' ELSE ' AND e.actor_id = $4' END
      || CASE WHEN p_target_type IS NULL THEN '' ELSE ' AND e.target_type = $5' END
      || CASE WHEN p_target_id IS NULL THEN '' ELSE ' AND e.target_id = $6' END
      || ' OFFSET 0) m ORDER BY c.seq DESC LIMIT $10 OFFSET $11'
      USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
            p_before_seq, p_limit, skip, words, coalesce(p_from, '-infinity'), coalesce(p_to, 'infinity');
    RETURN;
  END IF;
  -- 5. Without a usable word (or a common one with a filter): every match through the trigram
  --    index, then sorted (sorting on an expression keeps the planner from walking a time
  --    index hoping to meet matches soon).
  RETURN QUERY EXECUTE 'SELECT * FROM audit_logs' || filters
    || ' AND audit_search_text(action, actor_email, target_name, target_id) ILIKE $2'
    || ' ORDER BY ' || CASE WHEN p_before_seq IS NULL THEN 'created_at + interval ''0 seconds'' DESC, id DESC' ELSE 'seq + 0 DESC' END
    || ' LIMIT $10 OFFSET $11'
    USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to,
          p_before_seq, p_limit, skip;
END
$$;

-- Counts matches up to p_cap (+1, so the caller knows there are more): through the word index
-- like a page (a common word with another filter: the trigram index, as before).
CREATE OR REPLACE FUNCTION audit_log_search_count(
  p_pattern text, p_action text, p_actor uuid, p_target_type text, p_target_id text,
  p_from timestamptz, p_to timestamptz, p_cap integer
) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant uuid := nullif(current_setting('app.tenant_id', true), '')::uuid;
  narrowed boolean := p_action IS NOT NULL OR p_actor IS NOT NULL OR p_target_type IS NOT NULL OR p_target_id IS NOT NULL;
  words bigint[];
  postings bigint;
  n bigint;
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'audit_log_search_count needs a tenant scope (app.tenant_id)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT w.word_ids, w.postings INTO words, postings FROM audit_search.candidate_words(tenant, p_pattern) w;
  IF cardinality(words) = 0 THEN
    RETURN 0;
  END IF;
  IF words IS NOT NULL AND (NOT narrowed OR postings <= 20000) THEN
    RETURN least(p_cap + 1, cardinality(audit_search.walk(tenant, p_pattern, words, p_action, p_actor, p_target_type, p_target_id,
      p_from, p_to, p_cap + 1)));
  END IF;
  EXECUTE
    'SELECT count(*) FROM (SELECT 1 FROM audit_logs WHERE tenant_id = $1
       AND audit_search_text(action, actor_email, target_name, target_id) ILIKE $2'
    || CASE WHEN p_action IS NULL THEN '' ELSE ' AND action = $3' END
    || CASE WHEN p_actor IS NULL THEN '' ELSE ' AND actor_id = $4' END
    || CASE WHEN p_target_type IS NULL THEN '' ELSE ' AND target_type = $5' END
    || CASE WHEN p_target_id IS NULL THEN '' ELSE ' AND target_id = $6' END
    || CASE WHEN p_from IS NULL THEN '' ELSE ' AND created_at >= $7' END
    || CASE WHEN p_to IS NULL THEN '' ELSE ' AND created_at <= $8' END
    || ' LIMIT $9 + 1) matches'
    INTO n
    USING tenant, p_pattern, p_action, p_actor, p_target_type, p_target_id, p_from, p_to, p_cap;
  RETURN n;
END
$$;
