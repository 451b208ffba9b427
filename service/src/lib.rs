//! The region host as a running service.
//!
//! A [`RegionHost`] takes runs from the store's queue (scheduled by cron, queued by hand or by
//! the demo), runs the installed plugin against the region's data in the store, and commits
//! the run with everything it emitted in one transaction; then it delivers the outbox
//! (notifications, SMEV requests) and takes SMEV answers. Several hosts can share one
//! PostgreSQL database: each run and each message goes to one of them, and they learn of
//! plugin changes through `LISTEN/NOTIFY`.

mod appeals;
mod decide;
mod host;
pub mod install;
pub mod listen;
pub mod parameters;
pub mod replay;
pub mod rollout;
mod round;
mod schedule;
pub mod settings;
pub mod shadow;
mod trigger;

pub use appeals::{Appeals, RoutingOutcome};
pub use decide::Decisions;
pub use decide::{DecisionOutcome, MEASURES_KEY};
pub use host::{Deliveries, RegionHost, Released, RunOutcome, Runs, ServiceError};
pub use install::{
    InstallAction, InstallError, InstallOptions, InstallOutcome, Installations, pack,
    pack_and_install, registry_component_check,
};
pub use parameters::{ParameterError, ParameterHistory};
pub use replay::run::{RunReplayReport, RunReplayRequest};
pub use replay::{Candidate, ReplayError, ReplayReport, ReplayRequest};
pub use rollout::RolloutError;
pub use round::{IdleReason, RoundReport};
pub use schedule::{
    DEFAULT_SCHEDULE, check_schedule, day_start, due_occurrence, next_occurrence, parse_time_zone,
};
pub use settings::{AppealSettings, HostSettings, SmevSettings};
pub use shadow::{ShadowError, ShadowReport};
/// What a round of SMEV sending and answering did (returned by [`RegionHost::smev_once`]).
pub use zemstvo_outbox::smev::SmevStats;
pub use zemstvo_store::runs::TriggeredRun;
