//! How a candidate's outcome of a recorded decision stands against the record's, and one
//! line per side for the reader: what replays and shadows report.

use zemstvo_core::appeals::Routing;
use zemstvo_core::eligibility::{Decision, Outcome, Verdict};
use zemstvo_host::RunReport;

/// What a candidate made of one recorded decision, beside what the record says.
pub(crate) struct Compared {
    /// The application, or for a routing call the appeal.
    pub(crate) application: u64,
    pub(crate) recorded: Side,
    pub(crate) candidate: Side,
}

impl Compared {
    pub(crate) fn comparison(&self) -> Comparison {
        compare(&self.recorded, &self.candidate)
    }
}

/// One side of a comparison: what a version made of a decision.
pub(crate) enum Side {
    Failed(String),
    Answered(Option<Outcome>),
    /// An appeal router's answer.
    Routed(Option<Routing>),
}

pub(super) fn side(report: RunReport) -> Side {
    match report.failure() {
        Some(why) => Side::Failed(why.to_string()),
        None => Side::Answered(report.outputs.eligibility),
    }
}

pub(super) fn routed_side(report: RunReport) -> Side {
    match report.failure() {
        Some(why) => Side::Failed(why.to_string()),
        None => Side::Routed(report.outputs.routing),
    }
}

/// How the candidate's side of a decision stands against the record's.
pub(crate) enum Comparison {
    Identical,
    /// Decided alike, the trace differs.
    ExplainedDifferently,
    /// The kind of change.
    Changed(&'static str),
    /// The candidate failed where the record did not.
    Failed,
}

fn compare(recorded: &Side, candidate: &Side) -> Comparison {
    match (recorded, candidate) {
        (Side::Failed(_), Side::Failed(_)) => Comparison::Identical,
        (_, Side::Failed(_)) => Comparison::Failed,
        (Side::Failed(_), _) => Comparison::Changed("failed → answered"),
        (Side::Answered(a), Side::Answered(b)) if a == b => Comparison::Identical,
        (Side::Answered(Some(a)), Side::Answered(Some(b))) => outcome_change(a, b),
        (Side::Routed(a), Side::Routed(b)) if a == b => Comparison::Identical,
        (Side::Routed(Some(a)), Side::Routed(Some(b))) => routing_change(a, b),
        _ => Comparison::Changed("outcome changed"),
    }
}

/// What changed in a routing, the most consequential first.
fn routing_change(a: &Routing, b: &Routing) -> Comparison {
    let (x, y) = (&a.classification, &b.classification);
    Comparison::Changed(if x.category != y.category {
        "category changed"
    } else if a.authority != b.authority {
        "authority changed"
    } else if a.needs_review != b.needs_review {
        if b.needs_review {
            "routed → to a specialist"
        } else {
            "to a specialist → routed"
        }
    } else if a.merge_candidates != b.merge_candidates {
        "merge proposal changed"
    } else if x.urgency != y.urgency || x.impact != y.impact {
        "urgency or impact changed"
    } else if a.deadline_days != b.deadline_days {
        "deadline changed"
    } else if x.catalogue_version != y.catalogue_version || x.confidence != y.confidence {
        "confidence changed"
    } else {
        return Comparison::ExplainedDifferently;
    })
}

fn outcome_change(a: &Outcome, b: &Outcome) -> Comparison {
    let kind = match (a, b) {
        (Outcome::Need { .. }, Outcome::Need { .. }) => "requests changed",
        (Outcome::Need { .. }, Outcome::Decided { .. }) => "asked → decided",
        (Outcome::Decided { .. }, Outcome::Need { .. }) => "decided → asks for more",
        (Outcome::Decided { decision: a }, Outcome::Decided { decision: b }) => {
            match (&a.verdict, &b.verdict) {
                (Verdict::Approve { .. }, Verdict::Deny { .. }) => "approved → denied",
                (Verdict::Deny { .. }, Verdict::Approve { .. }) => "denied → approved",
                (Verdict::Approve { assignment: x }, Verdict::Approve { assignment: y }) => {
                    if x.monthly_amount != y.monthly_amount {
                        "amount changed"
                    } else if x != y {
                        "assignment changed"
                    } else {
                        return Comparison::ExplainedDifferently;
                    }
                }
                (Verdict::Deny { reasons: x }, Verdict::Deny { reasons: y }) => {
                    if x != y {
                        "reasons changed"
                    } else {
                        return Comparison::ExplainedDifferently;
                    }
                }
            }
        }
    };
    Comparison::Changed(kind)
}

/// One line for one side: what a reader compares.
pub(crate) fn describe(side: &Side) -> String {
    match side {
        Side::Failed(why) => format!("failed: {why}"),
        Side::Answered(None) => "no outcome".into(),
        Side::Answered(Some(Outcome::Need { requests })) => {
            let asked: Vec<String> = requests
                .iter()
                .map(|q| format!("{}/{}", q.agency, q.kind))
                .collect();
            format!("asks {}", asked.join(", "))
        }
        Side::Answered(Some(Outcome::Decided { decision })) => describe_decision(decision),
        Side::Routed(None) => "no routing".into(),
        Side::Routed(Some(r)) => {
            let c = &r.classification;
            let mut text = format!(
                "{} → {}, urgency {:?}, impact {:?}, {} days",
                c.category.as_deref().unwrap_or("unclassified"),
                r.authority.as_deref().unwrap_or("no authority"),
                c.urgency,
                c.impact,
                r.deadline_days
            );
            if let Some(m) = r.merge_candidates.first() {
                text.push_str(&format!(", merge into incident {}", m.incident));
            }
            if r.needs_review {
                text.push_str(", to a specialist");
            }
            text
        }
    }
}

fn describe_decision(decision: &Decision) -> String {
    match &decision.verdict {
        Verdict::Approve { assignment } => {
            let end = match assignment.end {
                Some(end) => format!(" until {}", date(end)),
                None => String::new(),
            };
            format!(
                "approved {}.{:02} a month from {}{end}, {} payment(s)",
                assignment.monthly_amount / 100,
                assignment.monthly_amount % 100,
                date(assignment.start),
                assignment.payments.len()
            )
        }
        Verdict::Deny { reasons } => format!("denied: {}", reasons.join(" ")),
    }
}

fn date(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| at.to_string())
}
