//! `smev`: interagency requests through SMEV 3.
//!
//! Plugins only queue requests; the host sends them after the run commits, and answers come
//! back later through the store. The types here are also what eligibility rules receive: the
//! queries they asked for and the answers so far.

use serde::{Deserialize, Serialize};

use crate::checks::{check_text, is_identifier};

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

/// How an agency answers a region, from the Lipetsk ISU dashboard's December 2022 table: its
/// requests that month and its mean days to answer. The demo generator draws its requests
/// from these volumes and answer times, and the SMEV simulator answers with these means, so
/// that the demo region and the simulated agencies tell the same story.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgencyProfile {
    pub code: &'static str,
    /// Requests in December 2022.
    pub seed_requests: u64,
    pub mean_answer_days: f64,
    /// The information most often asked of it, as a request's `kind`.
    pub typical_kind: &'static str,
}

/// The agencies' profiles. The Social Fund (`sfr`) took over from PFR and FSS in 2023, after
/// the seed's table; it answers like PFR and the demo sends it nothing.
pub const AGENCY_PROFILES: &[AgencyProfile] = &[
    AgencyProfile {
        code: "fns",
        seed_requests: 146_295,
        mean_answer_days: 1.34,
        typical_kind: "income",
    },
    AgencyProfile {
        code: "pfr",
        seed_requests: 130_310,
        mean_answer_days: 0.14,
        typical_kind: "pension-fact",
    },
    AgencyProfile {
        code: "mvd",
        seed_requests: 93_156,
        mean_answer_days: 1.7,
        typical_kind: "residence-registration",
    },
    AgencyProfile {
        code: "zags",
        seed_requests: 51_756,
        mean_answer_days: 0.1,
        typical_kind: "birth-record",
    },
    AgencyProfile {
        code: "rosreestr",
        seed_requests: 45_348,
        mean_answer_days: 1.05,
        typical_kind: "property",
    },
    AgencyProfile {
        code: "fss",
        seed_requests: 33_295,
        mean_answer_days: 0.17,
        typical_kind: "benefits",
    },
    AgencyProfile {
        code: "municipality",
        seed_requests: 22_881,
        mean_answer_days: 0.23,
        typical_kind: "family-composition",
    },
    AgencyProfile {
        code: "gis-zhkh",
        seed_requests: 119,
        mean_answer_days: 0.13,
        typical_kind: "utility-debt",
    },
    AgencyProfile {
        code: "sfr",
        seed_requests: 0,
        mean_answer_days: 0.14,
        typical_kind: "pension-fact",
    },
];

/// The profile of the agency `code`, if it has one.
pub fn agency_profile(code: &str) -> Option<&'static AgencyProfile> {
    AGENCY_PROFILES.iter().find(|p| p.code == code)
}

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
    pub fn weight(&self) -> usize {
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
    if !is_identifier(&q.kind) {
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
