-- Citizens' appeals and incidents: what arrives from the region's channels, how an
-- appeal-routing plugin and a first-line specialist classified it, the incident it joined, the
-- authority that answers, the applicant's verdict, and what follows a missed deadline.

-- The classifier catalogue, versioned: the region changes it without a new plugin build.
-- Exactly one version is active; older ones stay for the appeals classified with them.
CREATE TABLE appeal_catalogues (
    version TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    active BIGINT NOT NULL,
    loaded_by TEXT NOT NULL,
    loaded_at BIGINT NOT NULL
);

-- Who acts for an authority of the catalogue (its topics and territories are in the
-- catalogue): the employee who receives the executor's tasks and the curator who watches
-- reopened and overdue incidents.
CREATE TABLE appeal_authorities (
    code TEXT PRIMARY KEY,
    executor_id BIGINT NOT NULL REFERENCES employees (id),
    curator_id BIGINT REFERENCES employees (id)
);

-- Systems that file appeals over Open311 (a portal, an app), by the sha256 of their API key.
CREATE TABLE appeal_channels (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- One problem on the ground: the appeals about it answer together.
CREATE TABLE incidents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category TEXT NOT NULL,
    authority TEXT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    territory TEXT,
    -- open, answered, closed, reopened
    status TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    answer TEXT,
    answered_by TEXT,
    answered_at BIGINT,
    closed_at BIGINT,
    task_id BIGINT REFERENCES tasks (id),
    -- When the executor was reminded that the deadline is near (once per deadline).
    reminded_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX incidents_open ON incidents (status, category);

CREATE TABLE appeals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel TEXT NOT NULL,
    service_code TEXT,
    text TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    address TEXT,
    territory TEXT,
    media_url TEXT,
    -- The applicant as they gave themselves (personal data: shown to staff only).
    applicant_name TEXT,
    applicant_email TEXT,
    applicant_phone TEXT,
    -- JSON list of [code, value]: answers to the service's questions.
    attributes TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    due_at BIGINT,
    -- received (not routed yet), review (a first-line specialist looks), assigned, answered,
    -- closed, reopened
    status TEXT NOT NULL,
    category TEXT,
    catalogue_version TEXT,
    urgency TEXT,
    impact TEXT,
    confidence DOUBLE PRECISION,
    authority TEXT,
    incident_id BIGINT REFERENCES incidents (id),
    -- The plugin's proposal as JSON and who made it, kept beside any specialist's correction.
    routing TEXT,
    routed_by TEXT,
    run_id TEXT,
    -- accepted or rejected, with the applicant's rating (1..5)
    verdict TEXT,
    rating BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX appeals_status ON appeals (status, id);
CREATE INDEX appeals_incident ON appeals (incident_id);
CREATE INDEX appeals_received ON appeals (received_at);

-- Every change of an appeal, by whom: the plugin, a specialist, the applicant, the host.
CREATE TABLE appeal_history (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appeal_id BIGINT NOT NULL REFERENCES appeals (id),
    status TEXT NOT NULL,
    note TEXT,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX appeal_history_appeal ON appeal_history (appeal_id, seq);

-- An incident past its deadline: why the cause was not removed in time, and what follows.
CREATE TABLE root_causes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL UNIQUE REFERENCES incidents (id),
    -- open, resolved, change-requested
    status TEXT NOT NULL,
    finding TEXT,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A problem that cannot be solved in time becomes a change of the infrastructure.
CREATE TABLE change_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root_cause_id BIGINT NOT NULL REFERENCES root_causes (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- requested, planned, done
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
