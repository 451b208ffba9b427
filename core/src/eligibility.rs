//! Eligibility rules on the host side: the application a rule is called with, and the outcome
//! it returns — either the SMEV requests it still needs, or a decision with its trace.
//!
//! The rule is a pure function; the host keeps the state between calls (`docs/design.md`,
//! "Decisions that wait without blocking").

use serde::{Deserialize, Serialize};

use crate::capabilities::smev::{SmevAnswer, SmevQuery, validate_query};
use crate::capabilities::{Capability, Grants};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationChannel {
    Portal,
    Mfc,
    Office,
}

/// An application as an eligibility rule sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: u64,
    pub applicant: u64,
    pub measure: String,
    /// Seconds since the epoch.
    pub submitted: i64,
    pub channel: ApplicationChannel,
    #[serde(default)]
    pub fields: Vec<(String, String)>,
}

/// What the rule needs to be called with: the application and the answers so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityInput {
    pub application: Application,
    #[serde(default)]
    pub answers: Vec<SmevAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    pub name: String,
    pub value: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub due: i64,
    /// Kopecks.
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub measure: String,
    /// Kopecks.
    pub monthly_amount: i64,
    pub start: i64,
    pub end: Option<i64>,
    pub payments: Vec<Payment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Approve { assignment: Assignment },
    Deny { reasons: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    #[serde(flatten)]
    pub verdict: Verdict,
    pub trace: Vec<TraceStep>,
}

/// What a rule answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Send these requests and call the rule again when they are answered.
    Need {
        requests: Vec<SmevQuery>,
    },
    Decided {
        decision: Decision,
    },
}

impl Outcome {
    /// Steps of the decision's explanation (its trace and its reasons to deny).
    pub fn explanation_steps(&self) -> usize {
        match self {
            Outcome::Need { .. } => 0,
            Outcome::Decided { decision } => {
                decision.trace.len()
                    + match &decision.verdict {
                        Verdict::Deny { reasons } => reasons.len(),
                        Verdict::Approve { .. } => 0,
                    }
            }
        }
    }

    /// The grant the host needs to act on this outcome for the rule, if the rule lacks it:
    /// the host sends the requests a rule asks for, so asking is using `smev.send`.
    pub fn missing_grant(&self, grants: &Grants) -> Option<Capability> {
        match self {
            Outcome::Need { .. } if !grants.is_granted(Capability::SmevSend) => {
                Some(Capability::SmevSend)
            }
            _ => None,
        }
    }

    /// Bytes the host holds for the outcome, for the run's output budget.
    pub fn weight(&self) -> usize {
        use crate::capabilities::{held_pairs, held_str};
        std::mem::size_of::<Self>()
            + match self {
                Outcome::Need { requests } => requests
                    .iter()
                    .map(|q| {
                        std::mem::size_of::<SmevQuery>()
                            + q.agency.len()
                            + q.kind.len()
                            + held_pairs(&q.params)
                    })
                    .sum(),
                Outcome::Decided { decision } => {
                    decision
                        .trace
                        .iter()
                        .map(|t| held_str(&t.name) + held_str(&t.value) + held_str(&t.source))
                        .sum::<usize>()
                        + match &decision.verdict {
                            Verdict::Deny { reasons } => {
                                reasons.iter().map(|r| held_str(r)).sum::<usize>()
                            }
                            Verdict::Approve { assignment } => {
                                assignment.measure.len()
                                    + assignment.payments.len() * std::mem::size_of::<Payment>()
                            }
                        }
                }
            }
    }
}

/// Checks what a rule returned (converted from its WIT version by the host); a rule that asks
/// for nothing or approves a negative amount has a bug, and its run fails rather than acting
/// on it.
pub fn check_outcome(outcome: &Outcome) -> Result<(), String> {
    match outcome {
        Outcome::Need { requests } => {
            if requests.is_empty() {
                return Err("the rule asked for no requests and decided nothing".into());
            }
            if requests.len() > 64 {
                return Err(format!(
                    "the rule asked for {} requests at once; at most 64",
                    requests.len()
                ));
            }
            for q in requests {
                validate_query(q)
                    .map_err(|why| format!("requested {}/{}: {why}", q.agency, q.kind))?;
            }
            Ok(())
        }
        Outcome::Decided { decision } => match &decision.verdict {
            Verdict::Approve { assignment: a } => {
                if a.monthly_amount < 0 || a.payments.iter().any(|p| p.amount < 0) {
                    return Err("the approval assigns a negative amount".into());
                }
                if a.end.is_some_and(|end| end < a.start) {
                    return Err("the assignment ends before it starts".into());
                }
                Ok(())
            }
            Verdict::Deny { reasons } => {
                if reasons.is_empty() || reasons.iter().any(|r| r.trim().is_empty()) {
                    return Err("a denial must give the citizen at least one reason".into());
                }
                Ok(())
            }
        },
    }
}
