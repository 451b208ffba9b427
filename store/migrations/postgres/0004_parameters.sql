-- Entries a region's administrator adds to a plugin's effective-dated parameters (a new
-- amount from a date, by a new act), kept by plugin name so they outlive upgrades. They
-- extend the history the plugin ships; an entry for a date the plugin has replaces its value.
CREATE TABLE parameter_entries (
    plugin TEXT NOT NULL,
    name TEXT NOT NULL,
    effective_from BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (plugin, name, effective_from)
);
