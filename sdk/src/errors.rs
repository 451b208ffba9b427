//! `PluginError` constructors and conversions, so that `?` works on every host call.

use crate::PluginError;
use crate::bindings::deviation_check::zemstvo::platform::{data, notify, smev, tasks};

impl PluginError {
    /// The configuration cannot be used; name the key and what is wrong.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        PluginError::InvalidConfig(message.into())
    }

    /// The data cannot be processed; name the record and what is wrong.
    pub fn invalid_data(message: impl Into<String>) -> Self {
        PluginError::InvalidData(message.into())
    }

    /// Anything else that ends the run; the message goes into the run's record.
    pub fn other(message: impl Into<String>) -> Self {
        PluginError::Other(message.into())
    }
}

impl From<data::DataError> for PluginError {
    fn from(e: data::DataError) -> Self {
        PluginError::HostCall(match e {
            data::DataError::Denied(m) => format!("data: {m}"),
            data::DataError::UnknownColumn(m) => format!("data: {m}"),
            data::DataError::InvalidQuery(m) => format!("data: invalid query: {m}"),
            data::DataError::Unavailable(m) => format!("data: unavailable: {m}"),
        })
    }
}

impl From<tasks::TaskError> for PluginError {
    fn from(e: tasks::TaskError) -> Self {
        PluginError::HostCall(match e {
            tasks::TaskError::Denied(m) => format!("tasks: {m}"),
            tasks::TaskError::Invalid(m) => format!("tasks: invalid task: {m}"),
            tasks::TaskError::UnknownEmployee(id) => format!("tasks: no employee with id {id}"),
        })
    }
}

impl From<notify::NotifyError> for PluginError {
    fn from(e: notify::NotifyError) -> Self {
        PluginError::HostCall(match e {
            notify::NotifyError::Denied(m) => format!("notify: {m}"),
            notify::NotifyError::Invalid(m) => format!("notify: invalid message: {m}"),
            notify::NotifyError::UnknownCitizen(id) => format!("notify: no citizen with id {id}"),
            notify::NotifyError::NoConsent(id) => {
                format!("notify: citizen {id} has not consented to proactive informing")
            }
            notify::NotifyError::NoContact(id) => {
                format!("notify: the region has no contact of citizen {id} for this channel")
            }
        })
    }
}

impl From<smev::SmevError> for PluginError {
    fn from(e: smev::SmevError) -> Self {
        PluginError::HostCall(match e {
            smev::SmevError::Denied(m) => format!("smev: {m}"),
            smev::SmevError::Invalid(m) => format!("smev: invalid request: {m}"),
        })
    }
}

impl From<crate::assessments::AssessmentError> for PluginError {
    fn from(e: crate::assessments::AssessmentError) -> Self {
        use crate::assessments::AssessmentError as E;
        PluginError::HostCall(match e {
            E::Denied(m) => format!("assessments: {m}"),
            E::Invalid(m) => format!("assessments: invalid batch: {m}"),
            E::UnknownObject(id) => format!("assessments: no inspected object with id {id}"),
        })
    }
}

impl From<crate::visit_checks::VisitCheckError> for PluginError {
    fn from(e: crate::visit_checks::VisitCheckError) -> Self {
        use crate::visit_checks::VisitCheckError as E;
        PluginError::HostCall(match e {
            E::Denied(m) => format!("visit-checks: {m}"),
            E::Invalid(m) => format!("visit-checks: invalid exception: {m}"),
            E::UnknownVisit(id) => format!("visit-checks: no visit with id {id}"),
        })
    }
}
