//! Plugins built against an older WIT version keep running: the reference
//! `isu-smev-answer-delay` as the 0.1.0 SDK built it (kept as bytes in `tests/legacy/`) loads
//! beside today's 0.2.0 build of the same plugin, and both answer the same on the same region.
//! A component of a version this host does not support is refused with the versions it does.

mod common;

use std::sync::Arc;

use zemstvo_core::capabilities::data::RegionData;
use zemstvo_core::report::{RunReport, RunStatus};
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::local::LocalRun;
use zemstvo_host::{LoadError, LoadedPlugin, Runtime};

const LEGACY: &[u8] = include_bytes!("legacy/isu-smev-answer-delay-wit-0.1.0.wasm");

async fn run_at(
    runtime: &Runtime,
    plugin: &LoadedPlugin,
    region: Arc<dyn RegionData>,
    now: i64,
) -> RunReport {
    let request = LocalRun {
        run_id: Some("same-run".into()),
        now: Some(now),
        ..LocalRun::default()
    }
    .request(plugin, region, None)
    .expect("default config resolves");
    runtime.run(plugin, request).await
}

#[tokio::test]
async fn a_plugin_built_for_0_1_0_runs_beside_its_0_2_0_build_with_the_same_outputs() {
    let runtime = common::runtime();
    let legacy = runtime.load(LEGACY).await.expect("the 0.1.0 build loads");
    let current = common::reference_plugin(&runtime).await;
    assert_eq!(legacy.wit_version, "0.1.0");
    assert_eq!(current.wit_version, "0.2.0");
    assert_eq!(legacy.metadata.name, current.metadata.name);
    assert_eq!(legacy.metadata.capabilities, current.metadata.capabilities);

    let fixture = common::region();
    let fixture_now = fixture.now().expect("the fixture has a time");
    let demo = Arc::new(demo_region(DemoScale::SMALL, 7, 1_767_225_600));
    for (region, now) in [
        (fixture as Arc<dyn RegionData>, fixture_now),
        (demo as Arc<dyn RegionData>, 1_767_225_600),
    ] {
        let old = run_at(&runtime, &legacy, region.clone(), now).await;
        let new = run_at(&runtime, &current, region, now).await;
        assert!(
            matches!(old.status, RunStatus::Succeeded { .. }),
            "{:?}",
            old.status
        );
        assert_eq!(old.status, new.status);
        assert!(!old.outputs.tasks.is_empty(), "the region has late answers");
        assert_eq!(old.outputs.tasks, new.outputs.tasks);
        assert_eq!(old.outputs.notifications, new.outputs.notifications);
        assert_eq!(old.outputs.smev_requests, new.outputs.smev_requests);
        assert_eq!(old.outputs.rows_read, new.outputs.rows_read);
    }
}

/// A component that exports a zemstvo entry interface of `version` and nothing else: enough
/// for the host to read which version it was built against.
fn component_of_version(version: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(component
            (instance $entry)
            (export "zemstvo:platform/deviation-check-entry@{version}" (instance $entry))
        )"#
    ))
    .expect("the component text parses")
}

#[tokio::test]
async fn a_component_of_an_unsupported_version_is_refused_with_the_supported_ones() {
    let runtime = common::runtime();
    for version in ["0.3.0", "1.0.0", "0.0.9"] {
        match runtime.load(&component_of_version(version)).await {
            Err(e @ LoadError::UnsupportedWitVersion { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains(&format!("zemstvo:platform@{version}")),
                    "{text}"
                );
                assert!(text.contains("0.1.x, 0.2.x"), "{text}");
            }
            other => panic!("{version}: {other:?}"),
        }
    }
    // A later patch of a supported series is not refused for its version.
    let patch = runtime.load(&component_of_version("0.2.7")).await;
    assert!(
        !matches!(patch, Err(LoadError::UnsupportedWitVersion { .. })),
        "0.2.7 is a supported series: {patch:?}"
    );
}

mod appeal_routing {
    use std::sync::Arc;

    use zemstvo_core::RunInput;
    use zemstvo_core::appeals::{
        Appeal, AppealInput, Authority, Catalogue, Category, Impact, OpenIncident, Place, Urgency,
    };
    use zemstvo_core::metadata::PluginKind;
    use zemstvo_core::region::EmptyRegion;
    use zemstvo_core::report::{FailureReason, RunReport};
    use zemstvo_host::local::LocalRun;
    use zemstvo_host::{LoadedPlugin, Runtime};

    use super::common;

    /// Lipetsk city centre, and a point `metres` north of it.
    fn place(metres: f64) -> Place {
        Place {
            lat: 52.6088 + metres / 111_195.0,
            lon: 39.5992,
            address: None,
        }
    }

    fn input(text: &str) -> AppealInput {
        let incident = |id, category: &str, metres| OpenIncident {
            id,
            category: category.into(),
            place: Some(place(metres)),
            territory: Some("lipetsk-city".into()),
            opened: 1_767_000_000,
            appeals: 1,
        };
        AppealInput {
            appeal: Appeal {
                id: 1,
                channel: "open311".into(),
                service_code: None,
                text: text.into(),
                place: Some(place(0.0)),
                territory: Some("lipetsk-city".into()),
                received: 1_767_225_600,
                attributes: vec![],
            },
            catalogue: Arc::new(Catalogue {
                version: "2026.2".into(),
                categories: vec![Category {
                    code: "roads.pothole".into(),
                    title: "Яма на дороге".into(),
                    topic: "roads".into(),
                    keywords: vec!["яма".into()],
                    phrases: vec![],
                    urgency: Urgency::High,
                    impact: Impact::Street,
                    deadline_days: Some(10),
                }],
                authorities: vec![
                    Authority {
                        code: "roads-region".into(),
                        title: "Управление дорог области".into(),
                        topics: vec!["roads".into()],
                        territories: vec![],
                    },
                    Authority {
                        code: "roads-lipetsk".into(),
                        title: "Департамент дорожного хозяйства г. Липецка".into(),
                        topics: vec!["roads".into()],
                        territories: vec!["lipetsk-city".into()],
                    },
                ],
                territories: vec![],
            }),
            open_incidents: vec![
                incident(7, "roads.pothole", 30.0),
                incident(8, "roads.pothole", 500.0),
                incident(9, "lighting.lamp", 10.0),
            ],
        }
    }

    async fn route(
        runtime: &Runtime,
        plugin: &LoadedPlugin,
        input: RunInput,
        config: &[(&str, &str)],
    ) -> RunReport {
        let request = LocalRun {
            now: Some(1_767_225_600),
            input,
            config: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            time_zone: "Asia/Yekaterinburg".parse().expect("an IANA zone"),
            ..LocalRun::default()
        }
        .request(plugin, Arc::new(EmptyRegion), None)
        .expect("config resolves");
        runtime.run(plugin, request).await
    }

    #[tokio::test]
    async fn an_appeal_router_classifies_routes_and_proposes_a_merge_within_its_radius() {
        let runtime = common::runtime();
        let plugin = common::fixture(&runtime, "fixture-appeal-router").await;
        assert_eq!(plugin.kind(), PluginKind::AppealRouting);
        assert_eq!(plugin.wit_version, "0.2.0");

        let appeal = RunInput::Appeal(input("Большая яма на дороге у дома 5"));
        let report = route(&runtime, &plugin, appeal, &[]).await;
        let routing = report.outputs.routing.expect("a routing");
        assert_eq!(
            routing.classification.category.as_deref(),
            Some("roads.pothole")
        );
        assert_eq!(routing.classification.catalogue_version, "2026.2");
        assert_eq!(routing.classification.urgency, Urgency::High);
        assert_eq!(routing.authority.as_deref(), Some("roads-lipetsk"));
        assert_eq!(routing.deadline_days, 10);
        let merges: Vec<u64> = routing
            .merge_candidates
            .iter()
            .map(|m| m.incident)
            .collect();
        assert_eq!(merges, [7], "only the same category within 50 m");
        let distance = routing.merge_candidates[0].distance_m.unwrap();
        assert!((distance - 30.0).abs() < 1.0, "{distance}");
        // The run's context carries the region's zone and its offset at the run's time.
        assert_eq!(routing.trace[0].value, "Asia/Yekaterinburg +18000");

        let unclassified = RunInput::Appeal(input("Прошу разобраться"));
        let routing = route(&runtime, &plugin, unclassified, &[])
            .await
            .outputs
            .routing
            .expect("a routing");
        assert_eq!(routing.classification.category, None);
        assert!(routing.needs_review);
        assert_eq!(routing.authority, None);
    }

    #[tokio::test]
    async fn a_routing_that_names_what_the_router_was_not_given_fails_the_run() {
        let runtime = common::runtime();
        let plugin = common::fixture(&runtime, "fixture-appeal-router").await;
        let appeal = RunInput::Appeal(input("яма"));
        let report = route(&runtime, &plugin, appeal, &[("invent-category", "true")]).await;
        match report.failure() {
            Some(FailureReason::InvalidResult { message }) => {
                assert!(message.contains("no.such-category"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(report.outputs.routing.is_none());
        // A router is called per appeal, never over the whole region.
        let report = route(&runtime, &plugin, RunInput::Batch, &[]).await;
        assert!(
            matches!(report.failure(), Some(FailureReason::InvalidResult { .. })),
            "{:?}",
            report.status
        );
    }
}
