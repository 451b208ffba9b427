//! Staged rollouts: the shadow of an eligibility rule decides — and delivers — a share of the
//! rule's applications, and the host takes the share back by itself when the candidate does
//! worse than the thresholds say, as Flagger's `threshold` and Argo Rollouts' `failureLimit`
//! do for services; unlike them it also rolls back on what individual decisions become.
//!
//! Which applications: a stable hash of the application (so every call of one case goes to
//! the same version), optionally only for chosen measures. The candidate's decisions are
//! recorded like any decision (their records carry the candidate's version and sha256).
//!
//! Evaluation: every `window` of the candidate's own decisions, the host reads the decision
//! records of the window — the candidate's share and the live share between them — and
//! computes three figures: the candidate's failure rate, the share of live decisions the
//! shadow decided otherwise (the shadow keeps comparing the live share; a stable hash makes
//! it a fair sample of the whole), and the candidate's mean run time against the live
//! version's. A window is counted in the candidate's decisions, not in hours: decisions come in
//! bursts, and an hour with two decisions would judge a version on noise. A failed evaluation
//! counts towards `failure_limit` (in all, not in a row); at the limit the host rolls the
//! rollout back, the candidate stays a shadow, and the audit log says why.

use sha2::{Digest, Sha256};
use zemstvo_core::eligibility::Application;
use zemstvo_host::local::LocalRun;
use zemstvo_store::rollouts::{Evaluation, Rollout, RolloutSettings, RolloutState};
use zemstvo_store::shadows::Shadow;
use zemstvo_store::{StoreError, counters};

use crate::decide::Version;
use crate::host::{RegionHost, ServiceError, now};
use crate::shadow::ShadowError;

/// Records read per page while evaluating, and the most one evaluation reads: a window of
/// a small share spans many live records, but never more than this many.
const PAGE: u32 = 256;
const MAX_RECORDS_PER_EVALUATION: u64 = 256 * PAGE as u64;
/// Windows evaluated per round per rollout: a round decides at most 200 applications per
/// rule, so only windows under 13 decisions can leave one for the next round.
const EVALUATIONS_PER_ROUND: usize = 16;

/// Why a rollout could not start or stop. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    /// Boxed: a shadow's errors carry an install's, and a rollout's are mostly small.
    #[error(transparent)]
    Shadow(Box<ShadowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "`{0}` has no shadow to roll out; start one with `zemstvo shadow start {0} --candidate \
         VERSION` and let it compare first"
    )]
    NoShadow(String),
    #[error("`{0}` has no rollout; start one with `zemstvo rollout start {0} --share PERCENT`")]
    NoRollout(String),
    #[error("`{field}` {why}")]
    Invalid { field: &'static str, why: String },
}

impl From<ShadowError> for RolloutError {
    fn from(e: ShadowError) -> Self {
        match e {
            ShadowError::Store(e) => RolloutError::Store(e),
            e => RolloutError::Shadow(Box::new(e)),
        }
    }
}

/// Refuses settings no administrator would mean: every limit is bounded so a typo cannot
/// roll out to everyone with no threshold.
pub fn validate(s: &RolloutSettings) -> Result<(), RolloutError> {
    let invalid = |field, why: &str| {
        Err(RolloutError::Invalid {
            field,
            why: why.to_string(),
        })
    };
    if !(1..=100).contains(&s.share_percent) {
        return invalid("share_percent", "must be a whole percentage from 1 to 100");
    }
    if !(1..=10_000).contains(&s.window) {
        return invalid(
            "window",
            "must be from 1 to 10000 of the candidate's decisions",
        );
    }
    for (field, rate) in [
        ("max_failure_rate", s.max_failure_rate),
        ("max_changed_rate", s.max_changed_rate),
    ] {
        if !(rate.is_finite() && (0.0..=1.0).contains(&rate)) {
            return invalid(field, "must be a share from 0 to 1 (0.05 is 5 %)");
        }
    }
    if !(s.max_duration_ratio.is_finite() && (1.0..=1000.0).contains(&s.max_duration_ratio)) {
        return invalid(
            "max_duration_ratio",
            "must be from 1 to 1000 (2 allows twice the live version's mean run time)",
        );
    }
    if !(1..=100).contains(&s.failure_limit) {
        return invalid("failure_limit", "must be from 1 to 100 failed evaluations");
    }
    if s.measures.len() > 100 {
        return invalid("measures", "may name at most 100 measures");
    }
    if s.measures
        .iter()
        .any(|m| m.trim().is_empty() || m.len() > 200 || m.chars().any(char::is_control))
    {
        return invalid(
            "measures",
            "must be measure codes, not empty, up to 200 characters",
        );
    }
    Ok(())
}

/// Whether the candidate of a rollout of `plugin` decides `application`: a stable hash of the
/// two, so the answer never changes while the settings stay.
pub fn in_share(plugin: &str, application: &Application, settings: &RolloutSettings) -> bool {
    if !settings.measures.is_empty() && !settings.measures.contains(&application.measure) {
        return false;
    }
    let digest = Sha256::digest(format!("{plugin}/{}", application.id).as_bytes());
    let bucket = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 100;
    bucket < u64::from(settings.share_percent)
}

impl RegionHost {
    /// Starts a rollout of the shadow of `plugin` with `settings`; the candidate's package is
    /// verified again first (a revoked key refuses it).
    pub async fn start_rollout(
        &self,
        plugin: &str,
        settings: &RolloutSettings,
        actor: &str,
    ) -> Result<Rollout, RolloutError> {
        validate(settings)?;
        let shadow = self
            .store()
            .shadow(plugin)
            .await?
            .ok_or_else(|| RolloutError::NoShadow(plugin.to_string()))?;
        if self.shadow_candidate(plugin).await?.is_none() {
            return Err(RolloutError::NoShadow(plugin.to_string()));
        }
        Ok(self
            .store()
            .start_rollout((plugin, &shadow.sha256), settings, actor)
            .await?)
    }

    /// The rollout of `plugin`.
    pub async fn rollout(&self, plugin: &str) -> Result<Rollout, RolloutError> {
        self.store()
            .rollout(plugin)
            .await?
            .ok_or_else(|| RolloutError::NoRollout(plugin.to_string()))
    }

    /// Ends the rollout of `plugin`: the live version decides everything again, the candidate
    /// stays a shadow.
    pub async fn stop_rollout(&self, plugin: &str, actor: &str) -> Result<Rollout, RolloutError> {
        match self.store().stop_rollout(plugin, actor).await {
            Err(StoreError::NotFound(_)) => Err(RolloutError::NoRollout(plugin.to_string())),
            other => Ok(other?),
        }
    }

    /// The candidate that decides a share of `plugin`'s applications, if a rollout runs, with
    /// its share: called as `live` calls the installed version, with the settings of the keys
    /// it declares. A candidate that no longer verifies or refuses the settings decides nothing
    /// (the live version decides all) and is reported in the log.
    pub(crate) async fn rollout_candidate(
        &self,
        plugin: &str,
        live: &LocalRun,
    ) -> Result<Option<(RolloutSettings, Version)>, ServiceError> {
        let Some(rollout) = self.store().rollout(plugin).await? else {
            return Ok(None);
        };
        if rollout.state != RolloutState::Running {
            return Ok(None);
        }
        let Some(shadow) = self.store().shadow(plugin).await? else {
            return Ok(None);
        };
        if shadow.sha256 != rollout.sha256 {
            return Ok(None);
        }
        let (loaded, parameters) = match self.shadow_candidate(plugin).await {
            Ok(Some(candidate)) => candidate,
            Ok(None) => return Ok(None),
            Err(ShadowError::Store(e)) => return Err(e.into()),
            Err(why) => {
                tracing::warn!(plugin, version = %shadow.version, "rollout candidate decides nothing: {why}");
                return Ok(None);
            }
        };
        let settings: Vec<(String, String)> = live
            .config
            .iter()
            .filter(|(key, _)| loaded.metadata.config.param(key).is_some())
            .cloned()
            .collect();
        let run = LocalRun {
            config: settings,
            ..live.clone()
        };
        match run.request(&loaded, self.region(), Some(0)) {
            Ok(request) => Ok(Some((
                rollout.settings,
                Version {
                    plugin: loaded,
                    resolved: request.config,
                    parameters,
                    signer: Some(shadow.signer),
                    rollout: true,
                },
            ))),
            Err(why) => {
                tracing::warn!(plugin, version = %shadow.version, "rollout candidate decides nothing: it refuses the configuration: {why}");
                Ok(None)
            }
        }
    }

    /// Evaluates the rollout of the shadow `shadow` (as it stood before this round's
    /// comparison) on the windows the shadow has compared. A round in which no record came
    /// reads nothing: a window still open stays as it was.
    pub(crate) async fn evaluate_rollout(&self, shadow: &Shadow) -> Result<(), ServiceError> {
        let Some(mut rollout) = self.store().rollout(&shadow.plugin).await? else {
            return Ok(());
        };
        // The shadow's cursor as it is now: its comparisons of this round are in.
        let compared_up_to = match self.store().shadow(&shadow.plugin).await? {
            Some(s) if s.sha256 == shadow.sha256 => s.after_seq,
            _ => return Ok(()),
        };
        if compared_up_to == shadow.after_seq {
            return Ok(());
        }
        for _ in 0..EVALUATIONS_PER_ROUND {
            if rollout.state != RolloutState::Running || rollout.sha256 != shadow.sha256 {
                return Ok(());
            }
            let Some(evaluation) = self.window(&rollout, compared_up_to).await? else {
                return Ok(());
            };
            let Some(after) = self
                .store()
                .record_evaluation(
                    (&rollout.plugin, &rollout.sha256),
                    rollout.after_seq,
                    &evaluation,
                )
                .await?
            else {
                // Another host evaluated this window first.
                return Ok(());
            };
            let result = if evaluation.passed() {
                "passed"
            } else {
                "failed"
            };
            metrics::counter!(counters::ROLLOUT_EVALUATIONS, "plugin" => after.plugin.clone(), "result" => result)
                .increment(1);
            if after.state == RolloutState::RolledBack {
                metrics::counter!(counters::ROLLOUT_ROLLBACKS, "plugin" => after.plugin.clone())
                    .increment(1);
                tracing::warn!(
                    plugin = %after.plugin,
                    version = %shadow.version,
                    "rollout rolled back: {}",
                    after.ended_reason.as_deref().unwrap_or_default()
                );
            }
            rollout = after;
        }
        Ok(())
    }

    /// The next complete window of `rollout` among the records the shadow has compared (up to
    /// `compared_up_to`), or none while the candidate has not yet taken `window` decisions.
    async fn window(
        &self,
        rollout: &Rollout,
        compared_up_to: i64,
    ) -> Result<Option<Evaluation>, ServiceError> {
        let window = u64::from(rollout.settings.window);
        let mut cursor = rollout.after_seq;
        let mut read = 0u64;
        let (mut candidate, mut failures, mut candidate_us) = (0u64, 0u64, 0u64);
        let (mut live, mut live_us) = (0u64, 0u64);
        let mut end = None;
        'pages: while read < MAX_RECORDS_PER_EVALUATION {
            let page = self
                .store()
                .decision_record_page(&rollout.plugin, (i64::MIN, i64::MAX), cursor, PAGE)
                .await?;
            if page.is_empty() {
                break;
            }
            for stored in page {
                if stored.seq > compared_up_to {
                    break 'pages;
                }
                cursor = stored.seq;
                read += 1;
                let Ok(figures) = serde_json::from_str::<Figures>(&stored.body) else {
                    continue;
                };
                if figures.plugin.sha256 == rollout.sha256 {
                    candidate += 1;
                    candidate_us += figures.resources.duration_us;
                    if figures.status == "failed" {
                        failures += 1;
                    }
                    if candidate == window {
                        end = Some(stored.seq);
                        break 'pages;
                    }
                } else {
                    live += 1;
                    live_us += figures.resources.duration_us;
                }
            }
        }
        // A window of a tiny share may span more records than one evaluation reads: it is
        // judged on what was read (the live share's differences at least), so a rollout never
        // stalls and no round reads the same long stretch again.
        let to_seq = match end {
            Some(seq) => seq,
            None if read >= MAX_RECORDS_PER_EVALUATION => cursor,
            None => return Ok(None),
        };
        let differing = self
            .store()
            .shadow_differences_between(&rollout.plugin, (rollout.after_seq, to_seq))
            .await?;
        Ok(Some(judge(
            &rollout.settings,
            (rollout.after_seq, to_seq),
            (candidate, failures, candidate_us),
            (live, differing, live_us),
        )))
    }
}

/// What an evaluation reads of a decision record.
#[derive(serde::Deserialize)]
struct Figures {
    plugin: RecordPlugin,
    status: String,
    resources: RecordResources,
}

#[derive(serde::Deserialize)]
struct RecordPlugin {
    sha256: String,
}

#[derive(serde::Deserialize)]
struct RecordResources {
    duration_us: u64,
}

/// A window's figures against the thresholds.
fn judge(
    s: &RolloutSettings,
    (from_seq, to_seq): (i64, i64),
    (candidate, failures, candidate_us): (u64, u64, u64),
    (live, differing, live_us): (u64, u64, u64),
) -> Evaluation {
    let failure_rate = failures as f64 / candidate.max(1) as f64;
    let changed_rate = (live > 0).then(|| differing as f64 / live as f64);
    let candidate_mean_us = candidate_us / candidate.max(1);
    let live_mean_us = (live > 0).then(|| live_us / live);
    let duration_ratio = live_mean_us
        .filter(|&l| l > 0)
        .map(|l| candidate_mean_us as f64 / l as f64);
    let mut breaches = Vec::new();
    if failure_rate > s.max_failure_rate {
        breaches.push(format!(
            "failure rate {:.1} % ({failures} of {candidate}) above {:.1} %",
            failure_rate * 100.0,
            s.max_failure_rate * 100.0
        ));
    }
    if let Some(rate) = changed_rate.filter(|&r| r > s.max_changed_rate) {
        breaches.push(format!(
            "decided otherwise {:.1} % of live decisions ({differing} of {live}) above {:.1} %",
            rate * 100.0,
            s.max_changed_rate * 100.0
        ));
    }
    if let Some(ratio) = duration_ratio.filter(|&r| r > s.max_duration_ratio) {
        breaches.push(format!(
            "mean run time {ratio:.2} × the live version's, above {:.2} ×",
            s.max_duration_ratio
        ));
    }
    Evaluation {
        from_seq,
        to_seq,
        candidate_decisions: candidate,
        candidate_failures: failures,
        live_decisions: live,
        differing,
        candidate_mean_us,
        live_mean_us,
        failure_rate,
        changed_rate,
        duration_ratio,
        breaches,
        evaluated_at: now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zemstvo_core::eligibility::ApplicationChannel;

    fn settings(share: u8) -> RolloutSettings {
        RolloutSettings {
            share_percent: share,
            measures: Vec::new(),
            window: 10,
            max_failure_rate: 0.05,
            max_changed_rate: 0.1,
            max_duration_ratio: 2.0,
            failure_limit: 2,
        }
    }

    fn application(id: u64, measure: &str) -> Application {
        Application {
            id,
            applicant: 1,
            measure: measure.into(),
            submitted: 0,
            channel: ApplicationChannel::Portal,
            fields: Vec::new(),
        }
    }

    #[test]
    fn the_share_is_stable_and_about_its_size() {
        let s = settings(30);
        let inside = (1..=10_000)
            .filter(|&id| in_share("rule", &application(id, "m"), &s))
            .count();
        assert!(
            (2_700..=3_300).contains(&inside),
            "{inside} of 10000 in a 30 % share"
        );
        for id in 1..100 {
            let a = application(id, "m");
            assert_eq!(in_share("rule", &a, &s), in_share("rule", &a, &s));
            // A larger share keeps everyone the smaller one had.
            if in_share("rule", &a, &s) {
                assert!(in_share("rule", &a, &settings(60)));
            }
        }
        assert!((1..=1000).all(|id| in_share("rule", &application(id, "m"), &settings(100))));
        let only = RolloutSettings {
            measures: vec!["other".into()],
            ..settings(100)
        };
        assert!(!in_share("rule", &application(1, "m"), &only));
        assert!(in_share("rule", &application(1, "other"), &only));
    }

    #[test]
    fn a_window_fails_on_each_threshold_and_passes_under_them() {
        let s = settings(50);
        let pass = judge(&s, (0, 20), (10, 0, 1_000), (10, 1, 10_000));
        assert!(pass.passed(), "{:?}", pass.breaches);
        let failing = judge(&s, (0, 20), (10, 1, 1_000), (10, 0, 1_000));
        assert_eq!(failing.breaches.len(), 1, "{:?}", failing.breaches);
        assert!(failing.breaches[0].starts_with("failure rate 10.0 %"));
        let differing = judge(&s, (0, 20), (10, 0, 1_000), (10, 2, 1_000));
        assert!(differing.breaches[0].contains("2 of 10"));
        let slow = judge(&s, (0, 20), (10, 0, 30_000), (10, 0, 10_000));
        assert!(slow.breaches[0].starts_with("mean run time 3.00"));
        // No live decision in the window (a share of 100 %): only the failure rate is judged.
        let all = judge(&s, (0, 10), (10, 0, 1_000), (0, 0, 0));
        assert!(all.passed() && all.changed_rate.is_none() && all.duration_ratio.is_none());
    }

    #[test]
    fn settings_out_of_bounds_are_refused() {
        let ok = settings(10);
        assert!(validate(&ok).is_ok());
        for (bad, field) in [
            (
                RolloutSettings {
                    share_percent: 0,
                    ..ok.clone()
                },
                "share_percent",
            ),
            (
                RolloutSettings {
                    share_percent: 101,
                    ..ok.clone()
                },
                "share_percent",
            ),
            (
                RolloutSettings {
                    window: 0,
                    ..ok.clone()
                },
                "window",
            ),
            (
                RolloutSettings {
                    max_failure_rate: f64::NAN,
                    ..ok.clone()
                },
                "max_failure_rate",
            ),
            (
                RolloutSettings {
                    max_changed_rate: 1.5,
                    ..ok.clone()
                },
                "max_changed_rate",
            ),
            (
                RolloutSettings {
                    max_duration_ratio: 0.5,
                    ..ok.clone()
                },
                "max_duration_ratio",
            ),
            (
                RolloutSettings {
                    failure_limit: 0,
                    ..ok.clone()
                },
                "failure_limit",
            ),
            (
                RolloutSettings {
                    measures: vec![" ".into()],
                    ..ok.clone()
                },
                "measures",
            ),
        ] {
            match validate(&bad) {
                Err(RolloutError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
