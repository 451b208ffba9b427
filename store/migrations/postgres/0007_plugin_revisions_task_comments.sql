-- Every change of a plugin's set-up (version, state, pin, schedule, grants, configuration)
-- bumps its revision in the change's own transaction: the web service's ETag, so that an
-- If-Match is compared and the change written under one lock.
ALTER TABLE plugin_installations ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;

-- A reassignment is a line of the task's history that names the new assignee.
ALTER TABLE task_history ADD COLUMN assignee BIGINT;

-- What employees and managers write on a task while they work on it.
CREATE TABLE task_comments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES tasks (id),
    actor TEXT NOT NULL,
    body TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX task_comments_task ON task_comments (task_id, id);

-- Ids of rows the region registers itself where imported data also brings ids (applications):
-- taken under this row's lock in the inserting transaction, never below an imported id.
CREATE TABLE id_sequences (
    name TEXT PRIMARY KEY,
    next BIGINT NOT NULL
);
