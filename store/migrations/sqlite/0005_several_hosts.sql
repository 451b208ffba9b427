-- Several hosts on one database, exactly once (see the PostgreSQL migration of the same name).
ALTER TABLE notifications ADD COLUMN sending_at BIGINT;
ALTER TABLE notifications ADD COLUMN takeover TEXT;
ALTER TABLE smev_outbox ADD COLUMN sending_at BIGINT;
ALTER TABLE smev_outbox ADD COLUMN takeover TEXT;

UPDATE notifications SET status = 'claimed' WHERE status = 'sending';
UPDATE smev_outbox SET status = 'claimed' WHERE status = 'sending';

-- Sent SMEV requests take their ids from the rowid (INTEGER PRIMARY KEY), assigned inside the
-- inserting transaction, never MAX(id) + 1. Nothing references the table, so it is rebuilt.
CREATE TABLE smev_requests_rowid (
    id INTEGER PRIMARY KEY,
    application_id BIGINT REFERENCES applications (id),
    agency TEXT NOT NULL,
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    sent_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    answered_at BIGINT,
    rejection_code TEXT,
    subject BIGINT,
    params TEXT,
    answer TEXT,
    request_key TEXT UNIQUE,
    plugin TEXT
);
INSERT INTO smev_requests_rowid (id, application_id, agency, kind, message_id, sent_at, status,
    answered_at, rejection_code, subject, params, answer, request_key, plugin)
SELECT id, application_id, agency, kind, message_id, sent_at, status,
    answered_at, rejection_code, subject, params, answer, request_key, plugin
FROM smev_requests;
DROP TABLE smev_requests;
ALTER TABLE smev_requests_rowid RENAME TO smev_requests;
CREATE INDEX smev_requests_sent ON smev_requests (sent_at);
CREATE INDEX smev_requests_application ON smev_requests (application_id);
