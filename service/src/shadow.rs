//! Shadow candidates: a version of an eligibility rule that runs beside the installed one, on
//! the same calls, and whose outputs are never delivered.
//!
//! The shadow follows the live version's decision records: after each round, every record the
//! live version committed since the shadow's cursor is run again on the candidate with the
//! record's inputs — the application's form, the SMEV answers the live call was given, the
//! configuration, the parameters, the logical time and the run id. So the shadow is called
//! exactly when the live version is, is answered from the live case's recorded SMEV answers,
//! and sends nothing: its requests, decisions and messages stay in the comparison. A request
//! the live case did not make shows as a difference (`decided → asks for more`, or `requests
//! changed`) and is never sent. Each differing decision is kept; the cursor moves in the
//! transaction that stores them, so hosts sharing a database compare each record once.
//!
//! Only an administrator promotes a shadow (it is installed as an upgrade, keeping the live
//! version's state, grants and configuration) or discards it; the audit log keeps the summary.

use std::collections::BTreeMap;

use serde::Serialize;
use zemstvo_core::capabilities::config::ParameterSpec;
use zemstvo_host::{LoadedPlugin, PluginKind};
use zemstvo_store::shadows::{NewShadow, Shadow, ShadowCounts, ShadowDifference, ShadowEnd};
use zemstvo_store::{StoreError, counters};

use crate::host::{RegionHost, ServiceError};
use crate::install::{InstallError, InstallOptions, InstallOutcome};
use crate::replay::{Candidate, Catalogues, Compared, Comparison, ReplayError, describe};

/// Records compared per step; a round compares at most [`PAGES_PER_ROUND`] steps per shadow,
/// so a shadow that fell behind catches up over a few rounds instead of holding one.
const PAGE: u32 = 256;
const PAGES_PER_ROUND: usize = 8;

/// Why a shadow could not start, be promoted or be discarded. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    #[error(transparent)]
    Candidate(#[from] ReplayError),
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("`{0}` has no shadow; start one with `zemstvo shadow start {0} --candidate VERSION`")]
    NoShadow(String),
    #[error(
        "a shadow of `{plugin}` would be the installed version itself ({version}); choose \
         another version"
    )]
    SameAsInstalled { plugin: String, version: String },
    #[error(
        "`{plugin}` {version} is in the region unsigned (a development install); a shadow is \
         promoted by installing its signed package, so pass the signed package file"
    )]
    Unsigned { plugin: String, version: String },
    #[error(
        "`{plugin}` is a {kind}; a shadow runs beside eligibility rules, whose decisions' \
         records hold their whole input"
    )]
    NotShadowable { plugin: String, kind: &'static str },
}

/// A shadow with what it has found so far.
#[derive(Debug, Clone, Serialize)]
pub struct ShadowReport {
    pub shadow: Shadow,
    /// The installed (live) version it runs beside.
    pub live_version: Option<String>,
    /// Differing decisions by kind of change (`candidate failed` for failures).
    pub changes: BTreeMap<String, u64>,
    /// The first differences, oldest first.
    pub differences: Vec<ShadowDifference>,
    /// Live decisions recorded since the shadow's last comparison, not yet compared.
    pub behind: u64,
}

impl RegionHost {
    /// Starts a shadow of the installed eligibility rule `plugin`: `candidate` is verified as
    /// an install would verify it and compared on every decision recorded from now on.
    pub async fn start_shadow(
        &self,
        plugin: &str,
        candidate: &Candidate,
        actor: &str,
    ) -> Result<Shadow, ShadowError> {
        let installed = self
            .store()
            .installation(plugin)
            .await?
            .ok_or_else(|| ReplayError::NotInstalled(plugin.to_string()))?;
        if installed.kind != PluginKind::EligibilityRule {
            return Err(ShadowError::NotShadowable {
                plugin: plugin.to_string(),
                kind: installed.kind.name(),
            });
        }
        let package = match candidate {
            Candidate::Installed => {
                return Err(ShadowError::SameAsInstalled {
                    plugin: plugin.to_string(),
                    version: installed.version,
                });
            }
            Candidate::Package(bytes) => bytes.clone(),
            Candidate::Version(version) => self.package_of_version(plugin, version).await?,
        };
        let (loaded, info) = self.package_candidate(plugin, &package).await?;
        if loaded.kind() != PluginKind::EligibilityRule {
            return Err(ShadowError::NotShadowable {
                plugin: plugin.to_string(),
                kind: loaded.kind().name(),
            });
        }
        if info.sha256 == installed.sha256 {
            return Err(ShadowError::SameAsInstalled {
                plugin: plugin.to_string(),
                version: installed.version,
            });
        }
        Ok(self
            .store()
            .start_shadow(&NewShadow {
                plugin,
                version: &info.version,
                sha256: &info.sha256,
                signer: info.signer.as_deref().unwrap_or_default(),
                package: &package,
                actor,
            })
            .await?)
    }

    /// The signed package of `version`: the one the region holds, else the registry's.
    async fn package_of_version(
        &self,
        plugin: &str,
        version: &str,
    ) -> Result<Vec<u8>, ShadowError> {
        let held = self.store().package_versions(plugin).await?;
        if let Some((_, sha256)) = held.into_iter().find(|(v, _)| v == version) {
            let stored = self.store().package(&sha256).await?;
            return match stored.and_then(|p| p.package) {
                Some(bytes) => Ok(bytes),
                None => Err(ShadowError::Unsigned {
                    plugin: plugin.to_string(),
                    version: version.to_string(),
                }),
            };
        }
        Ok(self.registry_package(plugin, version).await?)
    }

    /// Compares every shadow on the live decisions recorded since its cursor; returns how many
    /// decisions were compared. A shadow whose package no longer verifies (its key was revoked)
    /// is skipped with a warning and stays for the administrator to discard.
    pub async fn shadow_round(&self) -> Result<u64, ServiceError> {
        let mut compared = 0;
        for shadow in self.store().shadows().await? {
            match self.advance(&shadow).await {
                Ok(n) => {
                    compared += n;
                    // A rollout is judged on the windows its shadow has compared.
                    self.evaluate_rollout(&shadow).await?;
                }
                Err(ShadowError::Store(e)) => return Err(e.into()),
                Err(why) => {
                    tracing::warn!(plugin = %shadow.plugin, version = %shadow.version, "shadow not compared: {why}");
                }
            }
        }
        Ok(compared)
    }

    async fn advance(&self, shadow: &Shadow) -> Result<u64, ShadowError> {
        let mut cursor = shadow.after_seq;
        let mut compared = 0;
        // Loaded at the first page with records: most rounds find nothing new, and then the
        // package is neither read nor verified.
        let mut candidate = None;
        for _ in 0..PAGES_PER_ROUND {
            if self.is_stopping() {
                break;
            }
            let page = self
                .store()
                .decision_record_page(&shadow.plugin, (i64::MIN, i64::MAX), cursor, PAGE)
                .await?;
            let Some(last) = page.last().map(|r| r.seq) else {
                break;
            };
            // The candidate's own decisions (a rollout's share) are not compared with
            // themselves: the rollout judges them.
            let page: Vec<_> = page
                .into_iter()
                .filter(|r| r.version != shadow.version)
                .collect();
            if candidate.is_none() {
                candidate = self.shadow_candidate(&shadow.plugin).await?;
            }
            // None: the shadow ended meanwhile.
            let Some((plugin, parameters)) = &candidate else {
                break;
            };
            let mut counts = ShadowCounts::default();
            let mut differences = Vec::new();
            for (stored, result) in self
                .compare_page(plugin, parameters, &Catalogues::default(), page)
                .await
            {
                let Ok(c) = result else {
                    counts.skipped += 1;
                    continue;
                };
                counts.compared += 1;
                let (outcome, kind) = match c.comparison() {
                    Comparison::Identical => {
                        counts.identical += 1;
                        continue;
                    }
                    Comparison::ExplainedDifferently => {
                        counts.explained_differently += 1;
                        continue;
                    }
                    Comparison::Failed => {
                        counts.failed += 1;
                        ("failed", "candidate failed")
                    }
                    Comparison::Changed(kind) => {
                        counts.changed += 1;
                        ("changed", kind)
                    }
                };
                differences.push(difference(stored.seq, stored.run_id, &c, outcome, kind));
            }
            let stored = self
                .store()
                .advance_shadow(
                    (&shadow.plugin, &shadow.sha256),
                    (cursor, last),
                    &counts,
                    &differences,
                )
                .await?;
            if !stored {
                // Another host compared these first, or the shadow ended meanwhile.
                break;
            }
            count(&shadow.plugin, &counts);
            compared += counts.compared;
            cursor = last;
        }
        Ok(compared)
    }

    /// The shadow's kept package, verified and loaded, with its parameters; none when the
    /// shadow is gone.
    pub(crate) async fn shadow_candidate(
        &self,
        plugin: &str,
    ) -> Result<Option<(LoadedPlugin, Vec<ParameterSpec>)>, ShadowError> {
        let Some(package) = self.store().shadow_package(plugin).await? else {
            return Ok(None);
        };
        let (loaded, _) = self.package_candidate(plugin, &package).await?;
        let parameters = self.parameters_of(&loaded, plugin).await?;
        Ok(Some((loaded, parameters)))
    }

    /// The shadow of `plugin` with its changes by kind and its first `max_differences`
    /// differences.
    pub async fn shadow_report(
        &self,
        plugin: &str,
        max_differences: u32,
    ) -> Result<ShadowReport, ShadowError> {
        let shadow = self
            .store()
            .shadow(plugin)
            .await?
            .ok_or_else(|| ShadowError::NoShadow(plugin.to_string()))?;
        let live_version = self.store().installation(plugin).await?.map(|i| i.version);
        let changes = self.store().shadow_changes(plugin).await?;
        let differences = self
            .store()
            .shadow_differences(plugin, 0, max_differences)
            .await?;
        let behind = self
            .store()
            .decision_records_after(plugin, shadow.after_seq)
            .await?;
        Ok(ShadowReport {
            shadow,
            live_version,
            changes,
            differences,
            behind,
        })
    }

    /// Compares the decisions taken since the last round, then installs the shadow of
    /// `plugin` as the live version (an upgrade, or a downgrade if the
    /// administrator shadowed an older version) and ends the shadow. The live version's state,
    /// grants and configuration stay; a pinned plugin is refused as any install would be.
    pub async fn promote_shadow(
        &self,
        plugin: &str,
        actor: &str,
        if_revision: Option<i64>,
    ) -> Result<(InstallOutcome, Shadow), ShadowError> {
        let shadow = self
            .store()
            .shadow(plugin)
            .await?
            .ok_or_else(|| ShadowError::NoShadow(plugin.to_string()))?;
        // The decisions taken since the last round first, so the audit log's summary covers
        // every decision up to the promotion.
        self.advance(&shadow).await?;
        let package = self
            .store()
            .shadow_package(plugin)
            .await?
            .ok_or_else(|| ShadowError::NoShadow(plugin.to_string()))?;
        let options = InstallOptions {
            allow_downgrade: true,
            actor: actor.to_string(),
            if_revision,
            ..InstallOptions::default()
        };
        let outcome = self
            .installations()
            .install_package(&package, &options)
            .await?;
        let ended = self
            .store()
            .end_shadow((plugin, &shadow.sha256), ShadowEnd::Promoted, actor)
            .await?;
        Ok((outcome, ended))
    }

    /// Ends the shadow of `plugin` without installing it.
    pub async fn discard_shadow(&self, plugin: &str, actor: &str) -> Result<Shadow, ShadowError> {
        let shadow = self
            .store()
            .shadow(plugin)
            .await?
            .ok_or_else(|| ShadowError::NoShadow(plugin.to_string()))?;
        Ok(self
            .store()
            .end_shadow((plugin, &shadow.sha256), ShadowEnd::Discarded, actor)
            .await?)
    }
}

/// The comparison's outcomes on `/metrics`.
fn count(plugin: &str, c: &ShadowCounts) {
    for (outcome, n) in [
        ("identical", c.identical),
        ("explained_differently", c.explained_differently),
        ("changed", c.changed),
        ("failed", c.failed),
        ("skipped", c.skipped),
    ] {
        if n > 0 {
            metrics::counter!(counters::SHADOW_DECISIONS, "plugin" => plugin.to_string(), "outcome" => outcome)
                .increment(n);
        }
    }
}

fn difference(
    seq: i64,
    run_id: String,
    c: &Compared,
    outcome: &str,
    kind: &str,
) -> ShadowDifference {
    ShadowDifference {
        seq,
        run_id,
        application: c.application,
        outcome: outcome.to_string(),
        kind: kind.to_string(),
        live: describe(&c.recorded),
        shadow: describe(&c.candidate),
    }
}
