//! The entry points: the eligibility rule's types, the common kinds' dispatch, and
//! everything every released version shares.

/// The eligibility rule's entry types: the application in, the outcome out.
macro_rules! eligibility_entry {
    () => {
        fn application(
            a: &zemstvo_core::eligibility::Application,
        ) -> exports::zemstvo::platform::eligibility_rule_entry::Application {
            use exports::zemstvo::platform::eligibility_rule_entry as e;
            use zemstvo_core::eligibility::ApplicationChannel;
            e::Application {
                id: a.id,
                applicant: a.applicant,
                measure: a.measure.clone(),
                submitted: a.submitted,
                channel: match a.channel {
                    ApplicationChannel::Portal => e::Channel::Portal,
                    ApplicationChannel::Mfc => e::Channel::Mfc,
                    ApplicationChannel::Office => e::Channel::Office,
                },
                fields: a.fields.clone(),
            }
        }

        fn outcome(
            o: exports::zemstvo::platform::eligibility_rule_entry::Outcome,
        ) -> zemstvo_core::eligibility::Outcome {
            use exports::zemstvo::platform::eligibility_rule_entry as e;
            use zemstvo_core::eligibility::{
                Assignment, Decision, Outcome, Payment, TraceStep, Verdict,
            };
            match o {
                e::Outcome::Need(queries) => Outcome::Need {
                    requests: queries.into_iter().map(Into::into).collect(),
                },
                e::Outcome::Decided(d) => Outcome::Decided {
                    decision: Decision {
                        verdict: match d.verdict {
                            e::Verdict::Approve(a) => Verdict::Approve {
                                assignment: Assignment {
                                    measure: a.measure,
                                    monthly_amount: a.monthly_amount,
                                    start: a.start,
                                    end: a.end,
                                    payments: a
                                        .payments
                                        .into_iter()
                                        .map(|p| Payment {
                                            due: p.due,
                                            amount: p.amount,
                                        })
                                        .collect(),
                                },
                            },
                            e::Verdict::Deny(reasons) => Verdict::Deny { reasons },
                        },
                        trace: d
                            .trace
                            .into_iter()
                            .map(|t| TraceStep {
                                name: t.name,
                                value: t.value,
                                source: t.source,
                            })
                            .collect(),
                    },
                },
            }
        }
    };
}

/// The entry points of the kinds every version has — the three batch kinds and the
/// eligibility rule — as `CommonEntry`; a version with more kinds wraps it.
macro_rules! common_entries {
    () => {
        use exports::zemstvo::platform as entries;

        /// The typed entry point of each common kind, looked up once per loaded plugin.
        #[derive(Clone)]
        pub(crate) enum CommonEntry {
            DeviationCheck(entries::deviation_check_entry::GuestIndices),
            EligibilityRule(entries::eligibility_rule_entry::GuestIndices),
            RiskScoring(entries::risk_scoring_entry::GuestIndices),
            GeoCheck(entries::geo_check_entry::GuestIndices),
        }

        impl CommonEntry {
            /// `None` for a kind that is not common to every version.
            fn new(
                kind: zemstvo_core::metadata::PluginKind,
                pre: &wasmtime::component::InstancePre<crate::state::RunState>,
            ) -> Option<wasmtime::Result<CommonEntry>> {
                use zemstvo_core::metadata::PluginKind as K;
                Some(match kind {
                    K::DeviationCheck => entries::deviation_check_entry::GuestIndices::new(pre)
                        .map(CommonEntry::DeviationCheck),
                    K::EligibilityRule => entries::eligibility_rule_entry::GuestIndices::new(pre)
                        .map(CommonEntry::EligibilityRule),
                    K::RiskScoring => entries::risk_scoring_entry::GuestIndices::new(pre)
                        .map(CommonEntry::RiskScoring),
                    K::GeoCheck => {
                        entries::geo_check_entry::GuestIndices::new(pre).map(CommonEntry::GeoCheck)
                    }
                    _ => return None,
                })
            }

            async fn metadata(
                &self,
                store: &mut wasmtime::Store<crate::state::RunState>,
                instance: &wasmtime::component::Instance,
            ) -> wasmtime::Result<zemstvo_core::metadata::DeclaredMetadata> {
                let raw = match self {
                    CommonEntry::DeviationCheck(ix) => {
                        ix.load(&mut *store, instance)?.call_metadata(store).await
                    }
                    CommonEntry::EligibilityRule(ix) => {
                        ix.load(&mut *store, instance)?.call_metadata(store).await
                    }
                    CommonEntry::RiskScoring(ix) => {
                        ix.load(&mut *store, instance)?.call_metadata(store).await
                    }
                    CommonEntry::GeoCheck(ix) => {
                        ix.load(&mut *store, instance)?.call_metadata(store).await
                    }
                }?;
                Ok(declared(raw))
            }

            async fn call(
                &self,
                store: &mut wasmtime::Store<crate::state::RunState>,
                instance: &wasmtime::component::Instance,
                ctx: &zemstvo::platform::types::RunContext,
                input: &zemstvo_core::RunInput,
            ) -> crate::wit::Ended {
                use crate::wit::Ended;
                use zemstvo_core::RunInput;
                let ran = match (self, input) {
                    (CommonEntry::DeviationCheck(ix), RunInput::Batch) => {
                        match ix.load(&mut *store, instance) {
                            Ok(guest) => guest.call_run(&mut *store, ctx).await,
                            Err(e) => Err(e),
                        }
                    }
                    (CommonEntry::RiskScoring(ix), RunInput::Batch) => {
                        match ix.load(&mut *store, instance) {
                            Ok(guest) => guest.call_run(&mut *store, ctx).await,
                            Err(e) => Err(e),
                        }
                    }
                    (CommonEntry::GeoCheck(ix), RunInput::Batch) => {
                        match ix.load(&mut *store, instance) {
                            Ok(guest) => guest.call_run(&mut *store, ctx).await,
                            Err(e) => Err(e),
                        }
                    }
                    (CommonEntry::EligibilityRule(ix), RunInput::Eligibility(input)) => {
                        let guest = match ix.load(&mut *store, instance) {
                            Ok(guest) => guest,
                            Err(e) => return Ended::Trap(e),
                        };
                        let answers: Vec<_> =
                            input.answers.iter().cloned().map(Into::into).collect();
                        return match guest
                            .call_decide(
                                &mut *store,
                                ctx,
                                &application(&input.application),
                                &answers,
                            )
                            .await
                        {
                            Ok(Ok(o)) => Ended::Eligibility(outcome(o)),
                            Ok(Err(e)) => Ended::PluginError(plugin_error(e)),
                            Err(e) => Ended::Trap(e),
                        };
                    }
                    (_, input) => return Ended::wrong_input(input),
                };
                match ran {
                    Ok(Ok(s)) => Ended::Summary(summary(s)),
                    Ok(Err(e)) => Ended::PluginError(plugin_error(e)),
                    Err(e) => Ended::Trap(e),
                }
            }
        }
    };
}

/// Everything that reads the same in every released version: the interfaces, the conversions
/// of the entry points' types, and the entry points of the common kinds.
macro_rules! every_version {
    () => {
        types_interface!();
        config_interface!();
        log_interface!();
        data_interface!();
        tasks_interface!();
        smev_interface!();
        assessments_interface!();
        visit_checks_interface!();
        notify_message!();
        eligibility_entry!();
        common_entries!();

        pub(crate) fn add_to_linker(
            linker: &mut wasmtime::component::Linker<crate::state::RunState>,
        ) -> wasmtime::Result<()> {
            PluginHost::add_to_linker::<
                crate::state::RunState,
                wasmtime::component::HasSelf<crate::state::RunState>,
            >(linker, |state| state)
        }
    };
}
