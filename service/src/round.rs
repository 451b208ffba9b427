//! What one round of the host's work did (`RegionHost::tick`, `zemstvo serve --once`), and
//! when it did nothing, why: an operator who runs a round and sees nothing happen must learn
//! whether nothing is installed, nothing enabled, nothing scheduled or nothing due.

use serde::Serialize;
use zemstvo_outbox::delivery::DeliveryStats;
use zemstvo_outbox::smev::SmevStats;

use crate::appeals::RoutingOutcome;
use crate::decide::DecisionOutcome;
use crate::host::{RunOutcome, Runs, ServiceError, now};
use crate::schedule::next_occurrence;

/// One round: the scheduled runs it queued, the queued runs it ran (refused ones included),
/// the eligibility decisions it made, and the SMEV and notification traffic.
#[derive(Debug, Clone, Default)]
pub struct RoundReport {
    /// Scheduled runs that fell due and were queued in this round.
    pub scheduled: usize,
    pub runs: Vec<RunOutcome>,
    pub decisions: Vec<DecisionOutcome>,
    /// Live decisions that shadow candidates were compared on in this round.
    pub shadowed: u64,
    /// Appeals routed in this round.
    pub appeals: Vec<RoutingOutcome>,
    /// Root-cause records opened for incidents past their deadline.
    pub root_causes: u64,
    pub smev: SmevStats,
    pub deliveries: DeliveryStats,
}

impl RoundReport {
    /// Whether the round did nothing at all.
    pub fn is_idle(&self) -> bool {
        let s = &self.smev;
        let d = &self.deliveries;
        self.scheduled == 0
            && self.runs.is_empty()
            && self.decisions.is_empty()
            && self.shadowed == 0
            && self.appeals.is_empty()
            && self.root_causes == 0
            && s.sent + s.send_retried + s.send_failed + s.applied + s.duplicates + s.unmatched == 0
            && d.sent + d.retried + d.failed + d.cancelled == 0
    }
}

/// Why a plugin did not run in a round: one line per reason, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdleReason {
    /// The plugin, or `None` for the region as a whole.
    pub plugin: Option<String>,
    pub reason: String,
}

impl Runs<'_> {
    /// Why a round found nothing to run: nothing installed, nothing enabled, a plugin without
    /// a schedule or not yet due (with its next run), a plugin that would be refused, an
    /// eligibility rule with no application waiting. Each reason says what to do.
    pub async fn idle_reasons(self) -> Result<Vec<IdleReason>, ServiceError> {
        let installations = self.host.store().installations().await?;
        let region = |reason: String| IdleReason {
            plugin: None,
            reason,
        };
        if installations.is_empty() {
            return Ok(vec![region(
                "no plugin is installed; install one with `zemstvo plugin install`".into(),
            )]);
        }
        let mut reasons = Vec::new();
        let at = now();
        for i in &installations {
            let reason = if !i.enabled {
                format!(
                    "disabled; enable it with `zemstvo plugin enable {}`",
                    i.name
                )
            } else if let Some(why) = self.refusal(&i.name).await? {
                format!("refused: {why}")
            } else if !i.kind.is_batch() {
                "an eligibility rule: called for each registered application of its measures, \
                 and none was waiting"
                    .to_string()
            } else {
                match &i.schedule {
                    None => format!(
                        "no schedule; run it now with `zemstvo runs trigger {0}`, or give it one \
                         with `zemstvo plugin schedule {0} CRON`",
                        i.name
                    ),
                    Some(cron) => match next_occurrence(cron, at, self.host.time_zone) {
                        Ok(Some(next)) => format!(
                            "runs on `{cron}` ({}), next at {}; run it now with `zemstvo runs \
                             trigger {}`",
                            self.host.time_zone,
                            rfc3339(next),
                            i.name
                        ),
                        Ok(None) => format!("its schedule `{cron}` has no next occurrence"),
                        Err(why) => why,
                    },
                }
            };
            reasons.push(IdleReason {
                plugin: Some(i.name.clone()),
                reason,
            });
        }
        Ok(reasons)
    }
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| t.to_string())
}
