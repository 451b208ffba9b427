//! Capabilities: what a plugin may do beyond pure computation, one module per host interface.
//!
//! A plugin gets nothing ambient. Its metadata declares the capabilities it needs, the
//! administrator grants them, and every host call checks its grant: an ungranted call fails
//! with a `denied` error that names the capability (and the run's record says so). `log` and
//! `config` need no grant: they reveal nothing and change nothing outside the run.
//!
//! Each module holds what one host interface accepts and emits — its types, the checks of
//! their shape, its limits, and (for `data`) the backend trait storage is reached through —
//! with no wasmtime: the host's `capabilities` implement the WIT traits on top of these.

pub mod assessments;
pub mod config;
pub mod data;
pub mod log;
pub mod notify;
pub mod smev;
pub mod tasks;
pub mod visit_checks;

/// What a string costs the host while a run's output holds it: its buffer, not its length (a
/// plugin cannot make the host hold more than it is charged for).
pub fn held_str(s: &str) -> usize {
    std::mem::size_of::<String>() + s.len()
}

/// What a list of name-value pairs costs the host.
pub fn held_pairs(pairs: &[(String, String)]) -> usize {
    std::mem::size_of::<Vec<(String, String)>>()
        + pairs
            .iter()
            .map(|(k, v)| held_str(k) + held_str(v))
            .sum::<usize>()
}

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One thing an administrator can grant to a plugin, at the granularity an operator cares
/// about: reading citizens' personal data is its own grant, apart from their coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Capability {
    /// Units and employees.
    DataStaff,
    /// Applications and their status history.
    DataApplications,
    /// SMEV requests with their send and answer times.
    DataSmev,
    /// Home-care visits with their GPS points.
    DataVisits,
    /// Citizens' coordinates, district and consent, without personal data.
    DataCitizens,
    /// Citizens' names, addresses, phones, e-mails, SNILS and birth dates.
    DataCitizensPersonal,
    /// Inspected objects and their signals.
    DataObjects,
    /// Creating tasks for staff.
    TasksCreate,
    /// Queueing notifications to citizens.
    NotifySend,
    /// Queueing SMEV requests.
    SmevSend,
    /// Recording risk categories of inspected objects.
    AssessmentsWrite,
    /// Recording exceptions of home-care visits.
    VisitsRecordExceptions,
}

impl Capability {
    /// Every capability, in a stable order (used for listings and error messages).
    pub const ALL: [Capability; 12] = [
        Capability::DataStaff,
        Capability::DataApplications,
        Capability::DataSmev,
        Capability::DataVisits,
        Capability::DataCitizens,
        Capability::DataCitizensPersonal,
        Capability::DataObjects,
        Capability::TasksCreate,
        Capability::NotifySend,
        Capability::SmevSend,
        Capability::AssessmentsWrite,
        Capability::VisitsRecordExceptions,
    ];

    /// The name used in metadata, manifests, the CLI and error messages.
    pub fn name(self) -> &'static str {
        match self {
            Capability::DataStaff => "data.staff",
            Capability::DataApplications => "data.applications",
            Capability::DataSmev => "data.smev",
            Capability::DataVisits => "data.visits",
            Capability::DataCitizens => "data.citizens",
            Capability::DataCitizensPersonal => "data.citizens.personal",
            Capability::DataObjects => "data.objects",
            Capability::TasksCreate => "tasks.create",
            Capability::NotifySend => "notify.send",
            Capability::SmevSend => "smev.send",
            Capability::AssessmentsWrite => "assessments.write",
            Capability::VisitsRecordExceptions => "visits.record-exceptions",
        }
    }

    /// What granting it allows, in words for the administrator who is asked to grant it.
    pub fn description(self) -> &'static str {
        match self {
            Capability::DataStaff => "read units and employees",
            Capability::DataApplications => "read applications and their status history",
            Capability::DataSmev => "read SMEV requests and their answer times",
            Capability::DataVisits => "read home-care visits and their GPS points",
            Capability::DataCitizens => "read citizens' coordinates, district and consent",
            Capability::DataCitizensPersonal => {
                "read citizens' personal data: names, addresses, phones, e-mails, SNILS"
            }
            Capability::DataObjects => "read inspected objects and their signals",
            Capability::TasksCreate => "create tasks for staff",
            Capability::NotifySend => "send notifications to citizens",
            Capability::SmevSend => "send interagency (SMEV) requests",
            Capability::AssessmentsWrite => "record risk categories of inspected objects",
            Capability::VisitsRecordExceptions => "record exceptions of home-care visits",
        }
    }

    /// The names of all capabilities, comma-separated, for error messages.
    pub fn known_names() -> String {
        Capability::ALL
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A capability name that zemstvo does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability `{0}`; known capabilities are: {known}", known = Capability::known_names())]
pub struct UnknownCapability(pub String);

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCapability(s.to_string()))
    }
}

impl TryFrom<String> for Capability {
    type Error = UnknownCapability;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Capability> for String {
    fn from(c: Capability) -> String {
        c.name().to_string()
    }
}

/// The capabilities an administrator granted to one plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants(BTreeSet<Capability>);

impl Grants {
    /// No capability at all: the plugin may only compute, log and read its configuration.
    pub fn none() -> Self {
        Grants::default()
    }

    pub fn is_granted(&self, capability: Capability) -> bool {
        self.0.contains(&capability)
    }

    pub fn iter(&self) -> impl Iterator<Item = Capability> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Capability> for Grants {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        Grants(iter.into_iter().collect())
    }
}

/// The message a plugin (and the run's record) gets when a call needs an ungranted capability.
pub fn denied_message(capability: Capability) -> String {
    format!(
        "capability `{capability}` ({}) was not granted to this plugin; the administrator can \
         grant it if the plugin's metadata declares it",
        capability.description()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_round_trips_through_its_name() {
        for c in Capability::ALL {
            assert_eq!(c.name().parse::<Capability>(), Ok(c));
        }
    }

    #[test]
    fn unknown_capability_lists_the_known_ones() {
        let err = "data.everything".parse::<Capability>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`data.everything`"), "{text}");
        assert!(text.contains("data.citizens.personal"), "{text}");
    }
}
