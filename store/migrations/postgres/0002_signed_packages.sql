-- Signed packages (the registry issue): the package file as signed, who signed it, and the
-- region's trust store (one JSON document, changed only through the audit-logged API).
ALTER TABLE packages ADD COLUMN package BYTEA;
ALTER TABLE packages ADD COLUMN signer TEXT;
ALTER TABLE runs ADD COLUMN signer TEXT;

CREATE TABLE region_trust (
    id BIGINT PRIMARY KEY,
    document TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
