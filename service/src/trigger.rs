//! "Run it now": an administrator (`zemstvo runs trigger`, the HTTP API) queues a run of an
//! installed batch plugin that the next round of any host executes at once, without waiting
//! for a schedule. Refused here, before anything is queued: a plugin that is not installed,
//! disabled, an eligibility rule (called per application, never as a run), or one that would
//! be refused at load.

use zemstvo_store::runs::TriggeredRun;

use crate::host::{Runs, ServiceError, now};

impl Runs<'_> {
    /// Queues a manual run of `name` (logical time: now) for the next round; `actor` goes to
    /// the audit log. A manual run already waiting is returned instead of a second one.
    pub async fn trigger(self, name: &str, actor: &str) -> Result<TriggeredRun, ServiceError> {
        let Some(installation) = self.host.store().installation(name).await? else {
            return Err(ServiceError::Plugin(format!(
                "no plugin `{name}` is installed in this region; see `zemstvo plugin list`"
            )));
        };
        if !installation.kind.is_batch() {
            return Err(ServiceError::Plugin(format!(
                "{name} is an eligibility rule: the host calls it for each registered application \
                 of its measures, never as a run; see its decisions with `zemstvo cases list`"
            )));
        }
        if !installation.enabled {
            return Err(ServiceError::Plugin(format!(
                "{name} is disabled; enable it first with `zemstvo plugin enable {name}`"
            )));
        }
        if let Some(why) = self.refusal(name).await? {
            return Err(ServiceError::Plugin(format!(
                "{name} cannot run until this is fixed: {why}"
            )));
        }
        Ok(self.host.store().trigger_run(name, actor, now()).await?)
    }
}
