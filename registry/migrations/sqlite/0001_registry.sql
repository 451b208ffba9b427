-- The registry's schema. The PostgreSQL twin in ../postgres/ is the same schema; the only
-- difference is the type of package bytes (BLOB here, BYTEA there). Keep the two in step.
-- Times are unix seconds; flags are 0/1 integers (the same on both databases).

-- Vendors, registered by the registry operator.
CREATE TABLE vendors (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    -- JSON array of the name patterns the vendor may publish under.
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Vendors' public keys: added by the operator, or by a rotation statement from a vendor key.
CREATE TABLE vendor_keys (
    key_id TEXT PRIMARY KEY,
    vendor_id TEXT NOT NULL REFERENCES vendors (id),
    public_key TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    -- The rotation statement (JSON) that introduced this key, if one did.
    rotation TEXT
);

-- Revoked keys, published so that regions learn of them.
CREATE TABLE revocations (
    key_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    revoked_at BIGINT NOT NULL
);

-- A package name belongs to the vendor who first published it.
CREATE TABLE packages (
    name TEXT PRIMARY KEY,
    vendor_id TEXT NOT NULL REFERENCES vendors (id),
    created_at BIGINT NOT NULL
);

-- Published versions. The primary key is what makes a version immutable: a second insert of
-- the same (name, version), concurrent or not, fails.
CREATE TABLE versions (
    name TEXT NOT NULL REFERENCES packages (name),
    version TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    manifest TEXT NOT NULL,
    package_sha256 TEXT NOT NULL,
    component_sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    signed_by TEXT NOT NULL,
    yanked BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);

-- The package files, apart from their metadata so that listings never touch them. Written
-- once with the version, never updated.
CREATE TABLE package_files (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (name, version),
    FOREIGN KEY (name, version) REFERENCES versions (name, version)
);

-- One-time publish challenges.
CREATE TABLE challenges (
    nonce TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
