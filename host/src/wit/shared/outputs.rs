//! What plugins emit: `tasks`, `smev`, `assessments`, `visit-checks`, `notify`.

/// `tasks`: tasks for staff.
macro_rules! tasks_interface {
    () => {
        impl zemstvo::platform::tasks::Host for crate::state::RunState {
            async fn create(
                &mut self,
                raw: zemstvo::platform::tasks::NewTask,
            ) -> wasmtime::Result<Result<(), zemstvo::platform::tasks::TaskError>> {
                use crate::capabilities::tasks::TaskRefusal as R;
                use zemstvo::platform::tasks::{Priority as P, TaskError as W};
                use zemstvo_core::capabilities::tasks::{Priority, RecordRef, Task};
                let task = Task {
                    key: raw.key,
                    assignee: raw.assignee,
                    subject: raw.subject,
                    title: raw.title,
                    description: raw.description,
                    records: raw
                        .records
                        .into_iter()
                        .map(|r| RecordRef {
                            entity: r.entity.into(),
                            id: r.id,
                        })
                        .collect(),
                    steps: raw.steps,
                    priority: match raw.priority {
                        P::Low => Priority::Low,
                        P::Normal => Priority::Normal,
                        P::High => Priority::High,
                        P::Urgent => Priority::Urgent,
                    },
                    due: raw.due,
                };
                Ok(self.create_task(task).await?.map_err(|r| match r {
                    R::Denied(m) => W::Denied(m),
                    R::Invalid(m) => W::Invalid(m),
                    R::UnknownEmployee(id) => W::UnknownEmployee(id),
                }))
            }
        }
    };
}

/// `smev`: interagency requests, and the query and answer types eligibility rules share.
macro_rules! smev_interface {
    () => {
        impl zemstvo::platform::smev::Host for crate::state::RunState {
            async fn send(
                &mut self,
                query: zemstvo::platform::smev::SmevQuery,
            ) -> wasmtime::Result<Result<String, zemstvo::platform::smev::SmevError>> {
                use crate::capabilities::smev::SmevRefusal as R;
                use zemstvo::platform::smev::SmevError as W;
                Ok(self
                    .queue_smev_request(query.into())
                    .await?
                    .map_err(|r| match r {
                        R::Denied(m) => W::Denied(m),
                        R::Invalid(m) => W::Invalid(m),
                    }))
            }
        }

        impl From<zemstvo::platform::smev::SmevQuery>
            for zemstvo_core::capabilities::smev::SmevQuery
        {
            fn from(q: zemstvo::platform::smev::SmevQuery) -> Self {
                zemstvo_core::capabilities::smev::SmevQuery {
                    agency: q.agency,
                    kind: q.kind,
                    subject: q.subject,
                    application: q.application,
                    params: q.params,
                }
            }
        }

        impl From<zemstvo_core::capabilities::smev::SmevQuery>
            for zemstvo::platform::smev::SmevQuery
        {
            fn from(q: zemstvo_core::capabilities::smev::SmevQuery) -> Self {
                zemstvo::platform::smev::SmevQuery {
                    agency: q.agency,
                    kind: q.kind,
                    subject: q.subject,
                    application: q.application,
                    params: q.params,
                }
            }
        }

        impl From<zemstvo_core::capabilities::smev::SmevAnswer>
            for zemstvo::platform::smev::SmevAnswer
        {
            fn from(a: zemstvo_core::capabilities::smev::SmevAnswer) -> Self {
                use zemstvo::platform::smev::{AnswerOutcome as W, Rejection};
                use zemstvo_core::capabilities::smev::AnswerOutcome;
                zemstvo::platform::smev::SmevAnswer {
                    query: a.query.into(),
                    message_id: a.message_id,
                    received: a.received,
                    outcome: match a.outcome {
                        AnswerOutcome::Answered { facts } => W::Answered(facts),
                        AnswerOutcome::Rejected { code, reason } => {
                            W::Rejected(Rejection { code, reason })
                        }
                    },
                }
            }
        }
    };
}

/// `assessments`: risk categories in columns.
macro_rules! assessments_interface {
    () => {
        impl zemstvo::platform::assessments::Host for crate::state::RunState {
            async fn record_batch(
                &mut self,
                b: zemstvo::platform::assessments::AssessmentBatch,
            ) -> wasmtime::Result<Result<(), zemstvo::platform::assessments::AssessmentError>> {
                use crate::capabilities::assessments::AssessmentRefusal as R;
                use zemstvo::platform::assessments::AssessmentError as W;
                let batch = zemstvo_core::capabilities::assessments::AssessmentBatch {
                    objects: b.objects,
                    category_names: b.category_names,
                    categories: b.categories,
                    scores: b.scores,
                    factor_names: b.factor_names,
                    factor_rows: b.factor_rows,
                    factor_codes: b.factor_codes,
                    factor_weights: b.factor_weights,
                };
                Ok(self.record_assessments(batch).await?.map_err(|r| match r {
                    R::Denied(m) => W::Denied(m),
                    R::Invalid(m) => W::Invalid(m),
                    R::UnknownObject(id) => W::UnknownObject(id),
                }))
            }
        }
    };
}

/// `visit-checks`: exceptions of home-care visits.
macro_rules! visit_checks_interface {
    () => {
        impl zemstvo::platform::visit_checks::Host for crate::state::RunState {
            async fn record_exceptions(
                &mut self,
                exceptions: Vec<zemstvo::platform::visit_checks::VisitException>,
            ) -> wasmtime::Result<Result<(), zemstvo::platform::visit_checks::VisitCheckError>>
            {
                use crate::capabilities::visit_checks::VisitCheckRefusal as R;
                use zemstvo::platform::visit_checks::{ExceptionKind as K, VisitCheckError as W};
                use zemstvo_core::capabilities::visit_checks::{ExceptionKind, VisitException};
                let exceptions = exceptions
                    .into_iter()
                    .map(|e| VisitException {
                        visit: e.visit,
                        kind: match e.kind {
                            K::OutOfGeofence => ExceptionKind::OutOfGeofence,
                            K::TooShort => ExceptionKind::TooShort,
                            K::MissingEvidence => ExceptionKind::MissingEvidence,
                            K::Unverifiable => ExceptionKind::Unverifiable,
                        },
                        reason: e.reason,
                        distance_m: e.distance_m,
                        duration_min: e.duration_min,
                    })
                    .collect();
                Ok(self
                    .record_visit_exceptions(exceptions)
                    .await?
                    .map_err(|r| match r {
                        R::Denied(m) => W::Denied(m),
                        R::Invalid(m) => W::Invalid(m),
                        R::UnknownVisit(id) => W::UnknownVisit(id),
                    }))
            }
        }
    };
}

/// `notify` without `no-contact` (0.1.x): a message to a citizen without the channel's
/// contact is accepted and recorded undeliverable by the outbox.
macro_rules! notify_message {
    () => {
        fn notification(
            raw: zemstvo::platform::notify::Message,
        ) -> zemstvo_core::capabilities::notify::Notification {
            use zemstvo::platform::notify::Channel as W;
            use zemstvo_core::capabilities::notify::{Channel, Notification};
            Notification {
                key: raw.key,
                citizen: raw.citizen,
                channel: match raw.channel {
                    W::Sms => Channel::Sms,
                    W::Voice => Channel::Voice,
                    W::Email => Channel::Email,
                    W::Portal => Channel::Portal,
                },
                template: raw.template,
                params: raw.params,
            }
        }
    };
}

/// `notify`: the message converted, sent through the capability, and its refusal named in the
/// version's `notify-error`. `$say_no_contact`: whether the version can be told the citizen has
/// no contact for the channel; `$no_contact`: the variant that says it.
macro_rules! notify_interface {
    ($say_no_contact:expr, $no_contact:path) => {
        impl zemstvo::platform::notify::Host for crate::state::RunState {
            async fn send(
                &mut self,
                message: zemstvo::platform::notify::Message,
            ) -> wasmtime::Result<Result<(), zemstvo::platform::notify::NotifyError>> {
                use crate::capabilities::notify::NotifyRefusal as R;
                use zemstvo::platform::notify::NotifyError as W;
                Ok(self
                    .send_notification(notification(message), $say_no_contact)
                    .await?
                    .map_err(|r| match r {
                        R::Denied(m) => W::Denied(m),
                        R::Invalid(m) => W::Invalid(m),
                        R::UnknownCitizen(id) => W::UnknownCitizen(id),
                        R::NoConsent(id) => W::NoConsent(id),
                        R::NoContact(id) => $no_contact(id),
                    }))
            }
        }
    };
}
