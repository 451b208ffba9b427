//! `smev`: interagency requests through SMEV 3.
//!
//! Plugins only queue requests; the host sends them after the run commits, and answers come
//! back later through the store. The types here are also what eligibility rules receive: the
//! queries they asked for and the answers so far.

use serde::{Deserialize, Serialize};

use crate::capabilities::Capability;
use crate::capabilities::tasks::check_text;
use crate::runtime::RunState;
use crate::runtime::wit::latest::zemstvo::platform::smev as wit;

/// The agencies a region exchanges SMEV requests with. The codes are what plugins write.
pub const AGENCIES: &[(&str, &str)] = &[
    ("fns", "Federal Tax Service (ФНС)"),
    ("pfr", "Pension Fund (ПФР)"),
    ("sfr", "Social Fund (СФР)"),
    ("mvd", "Ministry of Internal Affairs (МВД)"),
    ("zags", "Civil registry (ЗАГС)"),
    ("rosreestr", "Rosreestr, FGIS EGRN (Росреестр)"),
    ("fss", "Social Insurance Fund (ФСС)"),
    ("municipality", "Municipal administration"),
    ("gis-zhkh", "GIS ZhKKh (ГИС ЖКХ)"),
];

/// Whether `code` names a known agency.
pub fn is_agency(code: &str) -> bool {
    AGENCIES.iter().any(|(c, _)| *c == code)
}

/// A request for information from another agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmevQuery {
    pub agency: String,
    pub kind: String,
    pub subject: u64,
    pub application: Option<u64>,
    #[serde(default)]
    pub params: Vec<(String, String)>,
}

impl SmevQuery {
    /// Whether an answer to `other` answers this query (same agency, kind, subject and
    /// application; parameters too).
    pub fn same_as(&self, other: &SmevQuery) -> bool {
        self == other
    }

    /// Bytes the host holds for the query (and the request id it is given, when queued).
    pub(crate) fn weight(&self) -> usize {
        std::mem::size_of::<OutgoingRequest>()
            + self.agency.len()
            + self.kind.len()
            + super::held_pairs(&self.params)
            + 64
    }
}

/// A request a run queued, with the id the host gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingRequest {
    pub request_id: String,
    #[serde(flatten)]
    pub query: SmevQuery,
}

/// How an agency answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum AnswerOutcome {
    Answered { facts: Vec<(String, String)> },
    Rejected { code: String, reason: String },
}

/// An answer the host received and acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmevAnswer {
    pub query: SmevQuery,
    pub message_id: String,
    /// Seconds since the epoch.
    pub received: i64,
    #[serde(flatten)]
    pub outcome: AnswerOutcome,
}

/// Checks a query's shape and agency. Shared by `smev.send` and eligibility outcomes.
pub fn validate_query(q: &SmevQuery) -> Result<(), String> {
    if !is_agency(&q.agency) {
        let known: Vec<&str> = AGENCIES.iter().map(|(c, _)| *c).collect();
        return Err(format!(
            "unknown agency `{}`; known agencies are: {}",
            q.agency,
            known.join(", ")
        ));
    }
    if !crate::capabilities::config::is_identifier(&q.kind) {
        return Err(format!(
            "kind `{}` is not a kind of information: lowercase letters, digits and `-`",
            q.kind
        ));
    }
    if q.params.len() > 32 {
        return Err("a request has at most 32 parameters".into());
    }
    for (k, v) in &q.params {
        check_text("parameter name", k, 64, true)?;
        check_text(&format!("parameter `{k}`"), v, 1_000, false)?;
    }
    Ok(())
}

impl From<wit::SmevQuery> for SmevQuery {
    fn from(q: wit::SmevQuery) -> Self {
        SmevQuery {
            agency: q.agency,
            kind: q.kind,
            subject: q.subject,
            application: q.application,
            params: q.params,
        }
    }
}

impl From<SmevQuery> for wit::SmevQuery {
    fn from(q: SmevQuery) -> Self {
        wit::SmevQuery {
            agency: q.agency,
            kind: q.kind,
            subject: q.subject,
            application: q.application,
            params: q.params,
        }
    }
}

impl From<SmevAnswer> for wit::SmevAnswer {
    fn from(a: SmevAnswer) -> Self {
        wit::SmevAnswer {
            query: a.query.into(),
            message_id: a.message_id,
            received: a.received,
            outcome: match a.outcome {
                AnswerOutcome::Answered { facts } => wit::AnswerOutcome::Answered(facts),
                AnswerOutcome::Rejected { code, reason } => {
                    wit::AnswerOutcome::Rejected(wit::Rejection { code, reason })
                }
            },
        }
    }
}

impl wit::Host for RunState {
    async fn send(
        &mut self,
        query: wit::SmevQuery,
    ) -> wasmtime::Result<Result<String, wit::SmevError>> {
        self.ensure_running("smev")?;
        if let Err(denied) = self.require(Capability::SmevSend) {
            return Ok(Err(wit::SmevError::Denied(denied)));
        }
        let query = SmevQuery::from(query);
        if let Err(why) = validate_query(&query) {
            return Ok(Err(wit::SmevError::Invalid(why)));
        }
        self.count_output(
            "SMEV requests",
            self.outputs.smev_requests.len() + 1,
            self.limits.max_smev_requests,
            query.weight(),
        )?;
        let request_id = format!(
            "{}/smev/{}",
            self.run_id,
            self.outputs.smev_requests.len() + 1
        );
        self.outputs.smev_requests.push(OutgoingRequest {
            request_id: request_id.clone(),
            query,
        });
        Ok(Ok(request_id))
    }
}
