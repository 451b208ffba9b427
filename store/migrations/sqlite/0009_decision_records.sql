-- Decision records: one per committed run and per eligibility call, in one hash chain per
-- region. A record's hash covers its number, its predecessor's hash and its body (canonical
-- JSON), so changing, removing or reordering a record breaks the chain at that record; hosts
-- sign checkpoints of the chain with their own keys, so a rewritten chain or a truncated tail
-- does not verify either (`zemstvo audit verify`).
CREATE TABLE decision_records (
    seq BIGINT PRIMARY KEY,
    run_id TEXT NOT NULL,
    plugin TEXT NOT NULL,
    version TEXT NOT NULL,
    logical_time BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX decision_records_run ON decision_records (run_id);
CREATE INDEX decision_records_plugin ON decision_records (plugin, logical_time);

-- The head of the chain: one row, updated by every append, which is what serialises appends
-- of several hosts sharing one database.
CREATE TABLE decision_chain (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO decision_chain (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The hosts' checkpoint keys (public halves only) and the checkpoints they signed.
CREATE TABLE decision_keys (
    key_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    host TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);

CREATE TABLE decision_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    host TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
