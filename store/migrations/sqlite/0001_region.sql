-- The region store, SQLite dialect. `migrations/postgres/0001_region.sql` is the same schema in
-- PostgreSQL's dialect; `tests/store_schema.rs` checks that both have the same tables and columns.
-- Timestamps are seconds since the epoch (UTC); flags are 0/1 integers; JSON is TEXT.

CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Region data read by plugins (see host/src/capabilities/data/schema.rs).

CREATE TABLE units (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id BIGINT,
    head_id BIGINT
);

CREATE TABLE employees (
    id BIGINT PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    full_name TEXT NOT NULL,
    role TEXT NOT NULL,
    manager_id BIGINT,
    normative_load BIGINT NOT NULL,
    active BIGINT NOT NULL
);

CREATE TABLE citizens (
    id BIGINT PRIMARY KEY,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    geofence_m DOUBLE PRECISION,
    consent BIGINT NOT NULL,
    district TEXT NOT NULL,
    full_name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    snils TEXT,
    birth_date BIGINT
);

CREATE TABLE applications (
    id BIGINT PRIMARY KEY,
    number TEXT NOT NULL,
    citizen_id BIGINT NOT NULL REFERENCES citizens (id),
    measure TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES employees (id),
    submitted_at BIGINT NOT NULL,
    assigned_at BIGINT,
    taken_at BIGINT,
    deadline_at BIGINT NOT NULL,
    decided_at BIGINT,
    returns BIGINT NOT NULL,
    off_standard BIGINT NOT NULL
);
CREATE INDEX applications_assignee ON applications (assignee_id);

CREATE TABLE application_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    status TEXT NOT NULL,
    at BIGINT NOT NULL,
    employee_id BIGINT REFERENCES employees (id)
);
CREATE INDEX application_events_key ON application_events (application_id, seq);

-- Sent SMEV requests (what plugins read) with the answers received for them.
CREATE TABLE smev_requests (
    id BIGINT PRIMARY KEY,
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
CREATE INDEX smev_requests_sent ON smev_requests (sent_at);
CREATE INDEX smev_requests_application ON smev_requests (application_id);

CREATE TABLE visits (
    id BIGINT PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees (id),
    citizen_id BIGINT NOT NULL REFERENCES citizens (id),
    service TEXT NOT NULL,
    planned_start BIGINT NOT NULL,
    planned_end BIGINT NOT NULL,
    actual_start BIGINT,
    actual_end BIGINT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION
);

CREATE TABLE inspected_objects (
    id BIGINT PRIMARY KEY,
    cadastral_number TEXT NOT NULL,
    address TEXT NOT NULL,
    district TEXT NOT NULL,
    kind TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    last_inspection_at BIGINT
);

CREATE TABLE object_signals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id BIGINT NOT NULL REFERENCES inspected_objects (id),
    source TEXT NOT NULL,
    severity DOUBLE PRECISION NOT NULL,
    observed_at BIGINT NOT NULL
);
CREATE INDEX object_signals_key ON object_signals (object_id, seq);

-- Plugins installed in the region, what they may do and how they are configured.

CREATE TABLE packages (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    kind TEXT NOT NULL,
    wit_version TEXT NOT NULL,
    manifest TEXT NOT NULL,
    signatures TEXT,
    component BLOB NOT NULL,
    added_at BIGINT NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE plugin_installations (
    name TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES packages (sha256),
    enabled BIGINT NOT NULL,
    pinned BIGINT NOT NULL,
    schedule TEXT,
    installed_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE installation_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);

CREATE TABLE grants (
    plugin TEXT NOT NULL,
    capability TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (plugin, capability)
);

CREATE TABLE plugin_config (
    plugin TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (plugin, key)
);

-- Runs and everything they emitted. A run's row and its outputs commit in one transaction.

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    plugin TEXT NOT NULL,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    cause TEXT NOT NULL,
    host TEXT NOT NULL,
    logical_time BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    failure TEXT,
    summary TEXT,
    grants TEXT NOT NULL,
    config TEXT NOT NULL,
    duration_us BIGINT NOT NULL,
    peak_memory BIGINT NOT NULL,
    rows_read BIGINT NOT NULL,
    tasks_created BIGINT NOT NULL,
    tasks_existing BIGINT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX runs_plugin ON runs (plugin, started_at);

CREATE TABLE run_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    cause TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    logical_time BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT,
    run_id TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (plugin, cause, logical_time)
);
CREATE INDEX run_queue_due ON run_queue (status, due_at);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    key TEXT NOT NULL,
    assignee BIGINT NOT NULL REFERENCES employees (id),
    overseer BIGINT REFERENCES employees (id),
    subject BIGINT REFERENCES employees (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    records TEXT NOT NULL,
    steps TEXT NOT NULL,
    priority TEXT NOT NULL,
    due BIGINT,
    status TEXT NOT NULL,
    reason TEXT,
    run_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (plugin, key)
);
CREATE INDEX tasks_assignee ON tasks (assignee, status);
CREATE INDEX tasks_overseer ON tasks (overseer, status);

CREATE TABLE task_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id BIGINT NOT NULL REFERENCES tasks (id),
    status TEXT NOT NULL,
    reason TEXT,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);

CREATE TABLE templates (
    name TEXT PRIMARY KEY,
    subject TEXT,
    body TEXT NOT NULL
);

-- Messages to citizens, delivered by the outbox workers.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    key TEXT NOT NULL,
    citizen_id BIGINT NOT NULL REFERENCES citizens (id),
    channel TEXT NOT NULL,
    template TEXT NOT NULL,
    params TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    idempotency_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until BIGINT,
    run_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (plugin, key)
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);

-- SMEV requests queued by runs, before they are sent.
CREATE TABLE smev_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_key TEXT NOT NULL UNIQUE,
    plugin TEXT NOT NULL,
    application_id BIGINT,
    agency TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject BIGINT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until BIGINT,
    smev_request_id BIGINT,
    run_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX smev_outbox_due ON smev_outbox (status, next_attempt_at);

-- Every answer delivery seen, so that a redelivered answer is acknowledged but not processed twice.
CREATE TABLE smev_deliveries (
    delivery_id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    acked_at BIGINT
);

CREATE TABLE risk_assessments (
    object_id BIGINT NOT NULL REFERENCES inspected_objects (id),
    plugin TEXT NOT NULL,
    category TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    factors TEXT NOT NULL,
    run_id TEXT NOT NULL,
    assessed_at BIGINT NOT NULL,
    PRIMARY KEY (object_id, plugin)
);

CREATE TABLE visit_exceptions (
    visit_id BIGINT NOT NULL REFERENCES visits (id),
    plugin TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    distance_m DOUBLE PRECISION,
    duration_min DOUBLE PRECISION,
    run_id TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (visit_id, plugin, kind)
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL
);
