//! The traits a plugin implements, one per kind, and their glue to the generated exports.

use crate::appeals::{Appeal, Catalogue, OpenIncident, Routing};
use crate::bindings;
use crate::bindings::deviation_check::zemstvo::platform::types as wit;
use crate::eligibility::{Application, Outcome, SmevAnswer};
use crate::{Metadata, PluginError, RunContext, RunSummary};

/// A deviation check (ISU): reads the region's data, finds deviations in staff work and
/// creates tasks for the managers responsible.
pub trait DeviationCheck {
    /// What the plugin is, what it needs and what it can be configured with.
    fn metadata() -> Metadata;

    /// One run over the region. Return `Err` to fail the run: nothing it emitted is kept.
    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError>;
}

/// An eligibility rule: decides an application from the SMEV answers received so far, as a
/// pure function. Ask for what is missing with [`Outcome::need`]; the host sends the
/// requests and calls again when answers arrive.
pub trait EligibilityRule {
    /// What the plugin is, what it needs and what it can be configured with.
    fn metadata() -> Metadata;
    /// Decides `application` from `answers`, the SMEV answers received so far: an approval
    /// or denial with its trace, or [`Outcome::need`] for the requests still missing. Called
    /// again with every new answer, so the same input must give the same outcome.
    fn decide(
        ctx: &RunContext,
        application: &Application,
        answers: &[SmevAnswer],
    ) -> Result<Outcome, PluginError>;
}

/// A risk-scoring rule: reads inspected objects and their signals and records a category
/// for each with [`crate::assessments`].
pub trait RiskScoring {
    /// What the plugin is, what it needs and what it can be configured with.
    fn metadata() -> Metadata;

    /// One run over the region's objects. Return `Err` to fail the run: nothing it recorded
    /// is kept.
    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError>;
}

/// A geo-position check of home-care visits: records exceptions with
/// [`crate::visit_checks`] and creates tasks for repeated patterns.
pub trait GeoCheck {
    /// What the plugin is, what it needs and what it can be configured with.
    fn metadata() -> Metadata;

    /// One run over the recent visits. Return `Err` to fail the run: nothing it recorded is
    /// kept.
    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError>;
}

/// An appeal router: classifies a citizen's appeal against the region's catalogue, names the
/// authority that answers for it and proposes merging it into an open incident nearby, as a
/// pure function. Answer with no category when the text cannot be classified: the appeal
/// then goes to a first-line specialist, never nowhere.
pub trait AppealRouting {
    /// What the plugin is, what it needs and what it can be configured with.
    fn metadata() -> Metadata;

    /// Classifies and routes one appeal. `open_incidents` are the incidents near it that it
    /// may be merged into; the same input must give the same routing.
    fn route(
        ctx: &RunContext,
        appeal: &Appeal,
        catalogue: &Catalogue,
        open_incidents: &[OpenIncident],
    ) -> Result<Routing, PluginError>;
}

impl<T: AppealRouting>
    bindings::appeal_routing::exports::zemstvo::platform::appeal_routing_entry::Guest for T
{
    fn metadata() -> wit::PluginMetadata {
        T::metadata().into_wit("appeal-routing")
    }

    fn route(
        ctx: RunContext,
        appeal: Appeal,
        catalogue: Catalogue,
        open_incidents: Vec<OpenIncident>,
    ) -> Result<Routing, PluginError> {
        T::route(&ctx, &appeal, &catalogue, &open_incidents)
    }
}

impl<T: DeviationCheck>
    bindings::deviation_check::exports::zemstvo::platform::deviation_check_entry::Guest for T
{
    fn metadata() -> wit::PluginMetadata {
        T::metadata().into_wit("deviation-check")
    }

    fn run(ctx: RunContext) -> Result<RunSummary, PluginError> {
        T::run(&ctx)
    }
}

impl<T: RiskScoring> bindings::risk_scoring::exports::zemstvo::platform::risk_scoring_entry::Guest
    for T
{
    fn metadata() -> wit::PluginMetadata {
        T::metadata().into_wit("risk-scoring")
    }

    fn run(ctx: RunContext) -> Result<RunSummary, PluginError> {
        T::run(&ctx)
    }
}

impl<T: GeoCheck> bindings::geo_check::exports::zemstvo::platform::geo_check_entry::Guest for T {
    fn metadata() -> wit::PluginMetadata {
        T::metadata().into_wit("geo-check")
    }

    fn run(ctx: RunContext) -> Result<RunSummary, PluginError> {
        T::run(&ctx)
    }
}

impl<T: EligibilityRule>
    bindings::eligibility_rule::exports::zemstvo::platform::eligibility_rule_entry::Guest for T
{
    fn metadata() -> wit::PluginMetadata {
        T::metadata().into_wit("eligibility-rule")
    }

    fn decide(
        ctx: RunContext,
        application: Application,
        answers: Vec<SmevAnswer>,
    ) -> Result<Outcome, PluginError> {
        T::decide(&ctx, &application, &answers)
    }
}

impl RunSummary {
    /// How many records were examined, how many deviations found, and a line for the run
    /// history.
    pub fn new(examined: u64, found: u64, message: impl Into<String>) -> Self {
        RunSummary {
            examined,
            found,
            message: message.into(),
        }
    }
}
