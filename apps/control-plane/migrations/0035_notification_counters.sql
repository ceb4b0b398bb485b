-- Inbox counts in O(1) (issue 14's read path): GET /notifications answers `total` and `unread`
-- on every page and the bell asks for `unread` on every load; counting a user's rows costs
-- ~100 ms once they hold 100k of them. The counts of in-app rows are kept per (tenant, user)
-- by statement-level triggers with transition tables: one statement per change, grouped by
-- user (a fan-out to 1,000 admins is one upsert). Counters only ever change with the rows, in
-- their transaction. Changes to many users' rows at once (fan-outs, which one tenant commits
-- one at a time, retention, tenant deletion) are rare enough that lock order is not forced.
CREATE TABLE notification_counters (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  total bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
  unread bigint NOT NULL DEFAULT 0 CHECK (unread >= 0 AND unread <= total),
  PRIMARY KEY (tenant_id, user_id)
);
SELECT enable_tenant_isolation('notification_counters');

INSERT INTO notification_counters (tenant_id, user_id, total, unread)
  SELECT tenant_id, user_id, count(*), count(*) FILTER (WHERE read_at IS NULL)
  FROM notifications WHERE in_app GROUP BY tenant_id, user_id;

CREATE FUNCTION notification_counters_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notification_counters AS c (tenant_id, user_id, total, unread)
    SELECT tenant_id, user_id, count(*), count(*) FILTER (WHERE read_at IS NULL)
    FROM new_rows WHERE in_app GROUP BY tenant_id, user_id ORDER BY tenant_id, user_id
  ON CONFLICT (tenant_id, user_id) DO UPDATE SET total = c.total + EXCLUDED.total, unread = c.unread + EXCLUDED.unread;
  RETURN NULL;
END
$$;

-- Updates apply a delta to existing counters (an upsert would check the delta itself against
-- the CHECK constraints); a row moved into the inbox (in_app set, not done by CBP) first gets a
-- zero counter.
CREATE FUNCTION notification_counters_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notification_counters (tenant_id, user_id)
    SELECT DISTINCT tenant_id, user_id FROM new_rows WHERE in_app ORDER BY tenant_id, user_id
  ON CONFLICT (tenant_id, user_id) DO NOTHING;
  UPDATE notification_counters c SET total = c.total + d.dt, unread = c.unread + d.du
  FROM (
    SELECT tenant_id, user_id, sum(dt) AS dt, sum(du) AS du FROM (
      SELECT tenant_id, user_id, 1 AS dt, (read_at IS NULL)::int AS du FROM new_rows WHERE in_app
      UNION ALL
      SELECT tenant_id, user_id, -1, -(read_at IS NULL)::int FROM old_rows WHERE in_app
    ) changes GROUP BY tenant_id, user_id HAVING sum(dt) <> 0 OR sum(du) <> 0
  ) d
  WHERE c.tenant_id = d.tenant_id AND c.user_id = d.user_id;
  RETURN NULL;
END
$$;

-- An update only: when a user or tenant is deleted, its counter row may already be gone.
CREATE FUNCTION notification_counters_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE notification_counters c SET total = c.total - d.total, unread = c.unread - d.unread
  FROM (
    SELECT tenant_id, user_id, count(*) AS total, count(*) FILTER (WHERE read_at IS NULL) AS unread
    FROM old_rows WHERE in_app GROUP BY tenant_id, user_id
  ) d
  WHERE c.tenant_id = d.tenant_id AND c.user_id = d.user_id;
  RETURN NULL;
END
$$;

CREATE TRIGGER notification_counters_insert AFTER INSERT ON notifications
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_counters_insert();
CREATE TRIGGER notification_counters_update AFTER UPDATE ON notifications
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_counters_update();
CREATE TRIGGER notification_counters_delete AFTER DELETE ON notifications
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notification_counters_delete();
