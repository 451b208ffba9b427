-- Staged rollouts: a shadow whose decisions are delivered for a share of a rule's applications
-- (a stable hash of the application's number, optionally only for chosen measures), evaluated
-- every `window` of its own decisions against thresholds, and rolled back by the host after
-- `failure_limit` failed evaluations. One rollout per shadow; it ends with its shadow.
-- `settings` and `last_evaluation` are JSON (the target and thresholds; the figures of the
-- latest evaluation); `after_seq` is the last decision record evaluated, so hosts sharing the
-- database never evaluate a window twice (it moves in the transaction that stores the result).
CREATE TABLE rollouts (
    plugin TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    settings TEXT NOT NULL,
    state TEXT NOT NULL,
    after_seq BIGINT NOT NULL,
    evaluations BIGINT NOT NULL,
    failed_evaluations BIGINT NOT NULL,
    last_evaluation TEXT,
    started_at BIGINT NOT NULL,
    started_by TEXT NOT NULL,
    ended_at BIGINT,
    ended_reason TEXT
);
