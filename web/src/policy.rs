//! Which role may do what: one table, read by every handler through
//! [`crate::auth::Principal::require`], and by the role-matrix test.
//!
//! Scopes narrow further inside the handlers: an employee's tasks are their own, a manager's
//! are their unit's (sub-units included); citizens' personal data reaches no role through
//! this API.

use zemstvo_store::accounts::Role;

/// Something a caller may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Plugins, their configuration, grants, schedules and history.
    ReadPlugins,
    /// Enable, disable, configure, grant, schedule, roll back.
    ChangePlugins,
    ReadRuns,
    TriggerRuns,
    /// Own tasks (employees), the unit's (managers), all (administrators, auditors).
    ReadTasks,
    /// Take into work, mark done, reject.
    WorkOnTasks,
    ReadAnalytics,
    ReadAudit,
    ManageUsers,
    /// Eligibility cases, their decisions and assignments (citizens' applications).
    ReadCases,
    /// Send a failed case back to its rule.
    RetryCases,
    /// Register a citizen's application (the portal, the MFC, a specialist).
    SubmitApplications,
    /// Give a task to another employee (managers, within their unit).
    ReassignTasks,
    /// The keys the region trusts and the revoked ones.
    ReadTrust,
    /// Trust, remove, revoke and rotate vendor keys.
    ChangeTrust,
    /// Citizens' appeals, their history and incidents: the region's shared queue, so every
    /// staff role reads it (the rows carry no applicant's name or contacts).
    ReadAppeals,
    /// Classify an appeal the router left for review (the first-line specialist).
    ClassifyAppeals,
    /// Answer an incident (its executor, the executor's manager).
    AnswerIncidents,
    /// Record the applicant's verdict on an answer (the channel system's account).
    RecordVerdicts,
    /// Record an overdue incident's root cause and change request (curators).
    RecordRootCauses,
}

impl Action {
    pub const ALL: [Action; 20] = [
        Action::ReadPlugins,
        Action::ChangePlugins,
        Action::ReadRuns,
        Action::TriggerRuns,
        Action::ReadTasks,
        Action::WorkOnTasks,
        Action::ReadAnalytics,
        Action::ReadAudit,
        Action::ManageUsers,
        Action::ReadCases,
        Action::RetryCases,
        Action::SubmitApplications,
        Action::ReassignTasks,
        Action::ReadTrust,
        Action::ChangeTrust,
        Action::ReadAppeals,
        Action::ClassifyAppeals,
        Action::AnswerIncidents,
        Action::RecordVerdicts,
        Action::RecordRootCauses,
    ];

    /// For refusals: "your role may not …".
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadPlugins => "read the plugins",
            Action::ChangePlugins => "change plugins",
            Action::ReadRuns => "read the runs",
            Action::TriggerRuns => "start runs",
            Action::ReadTasks => "read tasks",
            Action::WorkOnTasks => "work on tasks",
            Action::ReadAnalytics => "read the analytics",
            Action::ReadAudit => "read the audit log",
            Action::ManageUsers => "manage users and tokens",
            Action::ReadCases => "read eligibility cases",
            Action::RetryCases => "retry eligibility cases",
            Action::SubmitApplications => "register applications",
            Action::ReassignTasks => "reassign tasks",
            Action::ReadTrust => "read the trust store",
            Action::ChangeTrust => "change the trust store",
            Action::ReadAppeals => "read citizens' appeals",
            Action::ClassifyAppeals => "classify appeals",
            Action::AnswerIncidents => "answer incidents",
            Action::RecordVerdicts => "record applicants' verdicts",
            Action::RecordRootCauses => "record root causes",
        }
    }
}

/// The policy table.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Administrator => true,
        Role::Auditor => matches!(
            action,
            ReadPlugins
                | ReadRuns
                | ReadTasks
                | ReadAnalytics
                | ReadAudit
                | ReadCases
                | ReadTrust
                | ReadAppeals
        ),
        Role::Manager => matches!(
            action,
            ReadPlugins
                | ReadRuns
                | ReadTasks
                | WorkOnTasks
                | ReadAnalytics
                | ReadCases
                | RetryCases
                | SubmitApplications
                | ReassignTasks
                | ReadAppeals
                | AnswerIncidents
                | RecordRootCauses
        ),
        Role::Employee => matches!(
            action,
            ReadTasks
                | WorkOnTasks
                | SubmitApplications
                | ReadAppeals
                | ClassifyAppeals
                | AnswerIncidents
        ),
    }
}
