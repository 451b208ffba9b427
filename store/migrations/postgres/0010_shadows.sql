-- Shadow candidates: a version of an eligibility rule that runs beside the installed one on
-- the same calls (the live calls' recorded inputs, SMEV answers included) and whose outputs
-- are never delivered. One shadow per plugin; `after_seq` is the last decision record it has
-- compared, so hosts sharing the database never compare a record twice (the cursor moves in
-- the same transaction that stores the comparison).
CREATE TABLE shadows (
    plugin TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    signer TEXT NOT NULL,
    -- The signed package file, verified again at every load and installed as-is on promotion.
    package BYTEA NOT NULL,
    started_at BIGINT NOT NULL,
    started_by TEXT NOT NULL,
    after_seq BIGINT NOT NULL,
    compared BIGINT NOT NULL,
    identical BIGINT NOT NULL,
    explained_differently BIGINT NOT NULL,
    changed BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    skipped BIGINT NOT NULL
);

-- Every decision on which a shadow differs from the live version, kept per decision until the
-- shadow is promoted or discarded (the audit log keeps the summary).
CREATE TABLE shadow_differences (
    plugin TEXT NOT NULL,
    seq BIGINT NOT NULL,
    run_id TEXT NOT NULL,
    application BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    kind TEXT NOT NULL,
    live TEXT NOT NULL,
    shadow TEXT NOT NULL,
    compared_at BIGINT NOT NULL,
    PRIMARY KEY (plugin, seq)
);
