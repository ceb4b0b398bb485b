-- The live notification stream (issue 14; GET /notifications/stream, src/modules/notifications/notifications.stream.ts).
--
-- Server-Sent Events need a monotonic event id to resume from (Last-Event-ID): notifications are
-- keyed by uuid, so each row gets a sequence number. The fan-out takes a per-tenant advisory
-- transaction lock before inserting (notifications.repo.ts, insertNotification), so within a
-- tenant the sequence order is also the commit order: a stream that has seen seq n has seen
-- every row of its user below n.
ALTER TABLE notifications ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX notifications_stream_idx ON notifications (tenant_id, user_id, seq) WHERE in_app;
