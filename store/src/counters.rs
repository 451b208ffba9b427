//! The names of the counters hosts keep (through the `metrics` facade; whoever installs a
//! recorder — the web service's `/metrics` — exports them). Each carries a `kind` label:
//! `run`, `notification`, `smev`, `decision` or `changes`; the shadows' counter carries
//! `plugin` and `outcome`.

/// Items a host claimed: runs from the queue, outbox items (notifications, SMEV requests).
pub const CLAIMS: &str = "zemstvo_claims_total";
/// Lease renewals of a host still working on what it claimed.
pub const LEASE_RENEWALS: &str = "zemstvo_lease_renewals_total";
/// Claims taken over from a host whose lease ran out (it died, stalled or lost the database).
pub const LEASE_EXPIRIES: &str = "zemstvo_lease_expiries_total";
/// Reconnects of the PostgreSQL change listener.
pub const LISTENER_RECONNECTS: &str = "zemstvo_listener_reconnects_total";
/// Work not done twice because another host had done or taken it: a send skipped because the
/// claim had passed to another host, a conflicting commit or SMEV record, a redelivered answer.
pub const DUPLICATES_AVOIDED: &str = "zemstvo_duplicates_avoided_total";

/// Live decisions a shadow candidate was compared on, by `plugin` and `outcome` (`identical`,
/// `explained_differently`, `changed`, `failed`, `skipped`).
pub const SHADOW_DECISIONS: &str = "zemstvo_shadow_decisions_total";

/// A staged rollout's candidate decisions delivered, by `plugin` and `outcome` (`succeeded`,
/// `failed`).
pub const ROLLOUT_DECISIONS: &str = "zemstvo_rollout_decisions_total";

/// A staged rollout's evaluations, by `plugin` and `result` (`passed`, `failed`).
pub const ROLLOUT_EVALUATIONS: &str = "zemstvo_rollout_evaluations_total";

/// Staged rollouts the host rolled back by itself, by `plugin`.
pub const ROLLOUT_ROLLBACKS: &str = "zemstvo_rollout_rollbacks_total";

/// Every counter, for exporters that describe them up front.
pub const ALL: [&str; 9] = [
    CLAIMS,
    LEASE_RENEWALS,
    LEASE_EXPIRIES,
    LISTENER_RECONNECTS,
    DUPLICATES_AVOIDED,
    SHADOW_DECISIONS,
    ROLLOUT_DECISIONS,
    ROLLOUT_EVALUATIONS,
    ROLLOUT_ROLLBACKS,
];

/// Describes every counter to the installed recorder (call once after installing one).
pub fn describe() {
    metrics::describe_counter!(
        CLAIMS,
        "Items a host claimed: runs, messages, SMEV requests"
    );
    metrics::describe_counter!(
        LEASE_RENEWALS,
        "Lease renewals of a host still sending what it claimed"
    );
    metrics::describe_counter!(
        LEASE_EXPIRIES,
        "Claims taken over from a host whose lease ran out"
    );
    metrics::describe_counter!(
        LISTENER_RECONNECTS,
        "Reconnects of the PostgreSQL change listener"
    );
    metrics::describe_counter!(
        DUPLICATES_AVOIDED,
        "Work not done twice because another host had done or taken it"
    );
    metrics::describe_counter!(
        SHADOW_DECISIONS,
        "Live decisions a shadow candidate was compared on, by outcome"
    );
    metrics::describe_counter!(
        ROLLOUT_DECISIONS,
        "Decisions a staged rollout's candidate took and delivered, by outcome"
    );
    metrics::describe_counter!(
        ROLLOUT_EVALUATIONS,
        "Evaluations of staged rollouts against their thresholds, by result"
    );
    metrics::describe_counter!(
        ROLLOUT_ROLLBACKS,
        "Staged rollouts the host rolled back by itself"
    );
}
