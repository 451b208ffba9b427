//! Eligibility rules: the application, the SMEV answers so far, and the outcome — the
//! requests still needed, or a decision with its trace.

use crate::bindings::eligibility_rule::exports::zemstvo::platform::eligibility_rule_entry as wit;

pub use crate::smev::{AnswerOutcome, SmevAnswer, SmevQuery};
pub use wit::{Application, Assignment, Channel, Decision, Outcome, Payment, TraceStep, Verdict};

impl Application {
    /// A field of the application form.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Outcome {
    /// Ask the host to send these requests and call again when they are answered.
    pub fn need(requests: Vec<SmevQuery>) -> Self {
        Outcome::Need(requests)
    }

    /// Approve with an assignment, explaining how.
    pub fn approve(assignment: Assignment, trace: Vec<TraceStep>) -> Self {
        Outcome::Decided(Decision {
            verdict: Verdict::Approve(assignment),
            trace,
        })
    }

    /// Deny with the reasons the citizen will read, explaining how.
    pub fn deny(reasons: Vec<String>, trace: Vec<TraceStep>) -> Self {
        Outcome::Decided(Decision {
            verdict: Verdict::Deny(reasons),
            trace,
        })
    }
}

impl TraceStep {
    /// A value the rule used or computed, and where it came from.
    pub fn new(name: &str, value: impl ToString, source: &str) -> Self {
        TraceStep {
            name: name.to_string(),
            value: value.to_string(),
            source: source.to_string(),
        }
    }
}
