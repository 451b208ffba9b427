//! SMEV 3 interagency requests. Requests are asynchronous: a plugin queues them, the host
//! sends them after the run, and answers arrive later (eligibility rules receive them).

use crate::bindings::deviation_check::zemstvo::platform::smev as wit;

pub use wit::{AnswerOutcome, Rejection, SmevAnswer, SmevError, SmevQuery};

impl SmevQuery {
    /// A request to `agency` (`fns`, `pfr`, `sfr`, `mvd`, `zags`, `rosreestr`, `fss`,
    /// `municipality`, `gis-zhkh`) for information of `kind` about citizen `subject`.
    pub fn new(agency: &str, kind: &str, subject: u64) -> Self {
        SmevQuery {
            agency: agency.to_string(),
            kind: kind.to_string(),
            subject,
            application: None,
            params: Vec::new(),
        }
    }

    /// The application the request serves.
    pub fn for_application(mut self, application: u64) -> Self {
        self.application = Some(application);
        self
    }

    /// A parameter of the request as the agency's SMEV type names it (e.g. `snils`).
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_string(), value.into()));
        self
    }

    /// Whether `answer` answers this request.
    pub fn is_answered_by(&self, answer: &SmevAnswer) -> bool {
        answer.query.agency == self.agency
            && answer.query.kind == self.kind
            && answer.query.subject == self.subject
            && answer.query.application == self.application
    }
}

impl SmevAnswer {
    /// The value of a fact in an answered request; `None` if the request was rejected or the
    /// fact is missing.
    pub fn fact(&self, name: &str) -> Option<&str> {
        match &self.outcome {
            AnswerOutcome::Answered(facts) => facts
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str()),
            AnswerOutcome::Rejected(_) => None,
        }
    }
}

/// Queues a request (needs `smev.send`). Returns the host's request id.
pub fn send(query: &SmevQuery) -> Result<String, SmevError> {
    wit::send(query)
}
