-- Eligibility ("without an official"): the application form's fields, each application's case
-- with a rule (waiting for SMEV answers, or decided), and the assignments approvals create.
CREATE TABLE application_fields (
    application_id BIGINT NOT NULL REFERENCES applications (id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (application_id, name)
);

CREATE TABLE eligibility_cases (
    application_id BIGINT NOT NULL REFERENCES applications (id),
    plugin TEXT NOT NULL,
    status TEXT NOT NULL,
    answers_seen BIGINT NOT NULL,
    -- Calls of the rule so far: each call's run id carries its number.
    calls BIGINT NOT NULL,
    verdict TEXT,
    decision TEXT,
    run_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, plugin)
);

CREATE TABLE assignments (
    application_id BIGINT NOT NULL REFERENCES applications (id),
    measure TEXT NOT NULL,
    citizen_id BIGINT NOT NULL REFERENCES citizens (id),
    monthly_amount BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT,
    payments TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    run_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, measure)
);

-- The rule host looks up registered applications of its measures on every tick.
CREATE INDEX applications_status_measure ON applications (status, measure);
