-- People who sign in to the web service and systems that call its API.
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    -- administrator, manager, employee, auditor
    role TEXT NOT NULL,
    -- The employee this user is: what "my tasks" and "my unit" mean.
    employee_id BIGINT,
    -- argon2id PHC string; NULL for an account that signs in by link or token only.
    password_hash TEXT,
    disabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Browser sessions, by the sha256 of the cookie value (the value itself is never stored).
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- API tokens for the region's other systems, by sha256; shown once when made.
CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- One-time sign-in links (the demo prints one per role), by sha256.
CREATE TABLE sign_in_links (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Failed sign-ins, for throttling.
CREATE TABLE sign_in_failures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_login ON sign_in_failures (login, at);
