//! Citizens' appeals end to end: the reference appeal router signed, installed and called by
//! the region host for each appeal that arrives, with the region's catalogue from the store;
//! two appeals about one pothole 30 m apart become one incident with one task for the
//! responsible authority; a text nobody can classify goes to the first-line specialist; the
//! applicant's disagreement reopens the incident under the curator's watch; an incident past
//! its deadline opens a root-cause record. On SQLite and PostgreSQL.

use std::sync::Arc;

use zemstvo::commands::demo::appeals as demo_appeals;
use zemstvo_core::appeals::Place;
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_registry::{NamePattern, SecretKey, VendorId};
use zemstvo_service::{
    AppealSettings, Candidate, HostSettings, InstallOptions, RegionHost, ReplayRequest,
};
use zemstvo_store::appeals::{NewAppeal, Routed, TASK_SOURCE};
use zemstvo_store::on_both_databases;
use zemstvo_store::tasks::TaskFilter;
use zemstvo_store::testing::TestDatabase;

const NOW: i64 = 1_795_413_600; // Monday 2026-11-23 06:00 UTC
const DAY: i64 = 86_400;

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn appeal(text: &str, place: Option<(f64, f64)>, received_at: i64) -> NewAppeal {
    NewAppeal {
        channel: "demo-portal".into(),
        service_code: None,
        text: text.into(),
        place: place.map(|(lat, lon)| Place {
            lat,
            lon,
            address: Some("ул. Ленина, 5".into()),
        }),
        territory: Some("lipetsk".into()),
        received_at,
        ..NewAppeal::default()
    }
}

async fn appeals_are_routed_merged_and_followed(db: TestDatabase) {
    let store = db.store().await;
    let region = demo_region(DemoScale::SMALL, 2026, NOW);
    zemstvo::commands::demo::load_region(&store, &region, 2026, &|_, _| {})
        .await
        .unwrap();
    let catalogue = demo_appeals::prepare(&store).await.unwrap();
    let first_line = demo_appeals::first_line(&store).await.unwrap();
    let settings = HostSettings {
        host_id: "e2e".into(),
        appeals: AppealSettings {
            first_line: Some(first_line),
        },
        ..HostSettings::default()
    };
    let runtime = Arc::new(Runtime::new(RuntimeSettings::default()).unwrap());
    let host = RegionHost::open(store.clone(), runtime, settings)
        .await
        .unwrap();

    // Appeals arrive now: the host's round opens root causes by the wall clock.
    let at = time_now();
    // Appeals that arrive before any router is installed wait; nothing is lost.
    let first = store
        .file_appeal(&appeal(
            "Глубокая яма на дороге у дома 5, машины бьют колёса",
            Some((52.60310, 39.57080)),
            at,
        ))
        .await
        .unwrap();
    assert!(host.appeals().route_appeals(100).await.unwrap().is_empty());

    let key = SecretKey::from_seed(&[5; 32]);
    let vendor = VendorId::new("e2e-vendor").unwrap();
    host.installations()
        .update_trust("e2e", "trust-add", serde_json::json!({}), |t| {
            t.trust(key.public_key(), vendor.clone(), vec![NamePattern::any()])
        })
        .await
        .unwrap();
    let router = zemstvo_plugin_artifacts::REFERENCE
        .iter()
        .find(|a| a.name == "appeal-router")
        .expect("the reference appeal router is built");
    let options = InstallOptions {
        enable: true,
        grant_declared: true,
        actor: "e2e".into(),
        ..InstallOptions::default()
    };
    zemstvo_service::pack_and_install(&host, router.bytes, &vendor, &key, &options)
        .await
        .unwrap();

    // The host's round routes what waits: the first pothole opens an incident.
    let round = host.tick().await.unwrap();
    assert_eq!(round.appeals.len(), 1, "{:?}", round.appeals);
    let Some(Routed::NewIncident { incident }) = round.appeals[0].routed else {
        panic!("{:?}", round.appeals);
    };
    let routed = store.appeal(first).await.unwrap();
    assert_eq!(routed.category.as_deref(), Some("roads.pothole"));
    assert_eq!(routed.authority.as_deref(), Some("omsu-lipetsk"));
    assert_eq!(
        routed.catalogue_version.as_deref(),
        Some(catalogue.version.as_str())
    );
    assert!(
        routed
            .routed_by
            .as_deref()
            .unwrap()
            .starts_with("appeal-router@")
    );

    // A second report of the same pothole 30 m away joins it; a text nobody can classify goes
    // to the first-line specialist; one without a place is still routed by its text.
    let second = store
        .file_appeal(&appeal(
            "Опять яма на дороге возле дома 7, никто не ремонтирует",
            Some((52.60337, 39.57080)),
            at + DAY,
        ))
        .await
        .unwrap();
    let unclear = store
        .file_appeal(&appeal(
            "Здравствуйте, прошу перезвонить мне",
            None,
            at + DAY,
        ))
        .await
        .unwrap();
    let no_place = store
        .file_appeal(&appeal("Не горит фонарь во дворе", None, at + DAY))
        .await
        .unwrap();
    let outcomes = host.appeals().route_appeals(100).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    let of = |id: u64| outcomes.iter().find(|o| o.appeal == id).unwrap().routed;
    assert_eq!(of(second), Some(Routed::Merged { incident }));
    assert_eq!(of(unclear), Some(Routed::Review));
    assert!(
        matches!(of(no_place), Some(Routed::NewIncident { .. })),
        "{:?}",
        of(no_place)
    );
    assert_eq!(store.incident(incident).await.unwrap().appeals, 2);
    // Routed appeals are not routed again.
    assert!(host.appeals().route_appeals(100).await.unwrap().is_empty());

    // Every routing call left a decision record in the region's chain, with the appeal it was
    // called for, the incidents it was shown, the catalogue by version and digest, and its
    // answer.
    let records = store
        .decision_records(Some("appeal-router"), 100)
        .await
        .unwrap();
    assert_eq!(records.len(), 4, "{records:?}");
    for id in [first, second, unclear, no_place] {
        let record = records
            .iter()
            .find(|r| r.run_id == format!("appeal-router-appeal{id}"))
            .unwrap_or_else(|| panic!("no record of appeal {id}: {records:?}"));
        let body = &record.body;
        assert_eq!(body["inputs"]["appeal"]["id"], id, "{body}");
        assert_eq!(
            body["inputs"]["catalogue_version"],
            catalogue.version.as_str(),
            "{body}"
        );
        assert_eq!(
            body["inputs"]["catalogue_sha256"].as_str().map(str::len),
            Some(64),
            "{body}"
        );
        assert_eq!(body["cause"], "appeal", "{body}");
        assert!(body["outputs"]["routing"].is_object(), "{body}");
        assert!(body["plugin"]["signer"].is_string(), "{body}");
    }
    let shown = records
        .iter()
        .find(|r| r.run_id == format!("appeal-router-appeal{second}"))
        .unwrap();
    assert_eq!(
        shown.body["inputs"]["open_incidents"][0]["id"], incident,
        "the second call was shown the open incident: {}",
        shown.body
    );
    assert!(store.verify_decision_chain(None).await.unwrap().intact());

    // Replayed on the version that routed them, the four calls are routed alike, from their
    // records alone. A catalogue changed in the store since is found, and those calls are
    // not replayed.
    let replay = || async {
        host.replay(&ReplayRequest::new("appeal-router", Candidate::Installed))
            .await
            .unwrap()
    };
    let same = replay().await;
    assert_eq!(same.kind, "appeal-routing");
    assert_eq!(
        (same.replayed, same.identical, same.changed, same.failed),
        (4, 4, 0, 0),
        "{same:?}"
    );
    let swap = |from: &str, to: &str| {
        format!("UPDATE appeal_catalogues SET body = replace(body, '\"{from}\"', '\"{to}\"')")
    };
    store
        .execute_for_tests(&swap("roads.pothole", "roads.potholes"))
        .await
        .unwrap();
    let changed = replay().await;
    assert_eq!(changed.replayed, 0, "{changed:?}");
    assert_eq!(
        changed
            .skipped
            .get("the catalogue in the store is not the one the call was given"),
        Some(&4),
        "{changed:?}"
    );
    store
        .execute_for_tests(&swap("roads.potholes", "roads.pothole"))
        .await
        .unwrap();
    assert_eq!(replay().await.identical, 4);

    let tasks = store
        .tasks(&TaskFilter {
            plugin: Some(TASK_SOURCE.into()),
            ..TaskFilter::default()
        })
        .await
        .unwrap();
    let keys: Vec<&str> = tasks.iter().map(|t| t.key.as_str()).collect();
    assert!(
        keys.contains(&format!("incident-{incident}").as_str()),
        "{keys:?}"
    );
    assert!(
        keys.contains(&format!("appeal-{unclear}-review").as_str()),
        "{keys:?}"
    );
    assert_eq!(
        tasks.len(),
        3,
        "one task per incident and one review: {keys:?}"
    );
    let review = tasks.iter().find(|t| t.key.ends_with("-review")).unwrap();
    assert_eq!(review.assignee, first_line);

    // The executor answers; one applicant disagrees: reopened, the curator watching.
    store
        .answer_incident(incident, "Яма заделана", "e2e:executor", at + 3 * DAY)
        .await
        .unwrap();
    store
        .appeal_verdict(first, true, Some(5), None, "applicant", at + 4 * DAY)
        .await
        .unwrap();
    store
        .appeal_verdict(
            second,
            false,
            Some(1),
            Some("яма на месте"),
            "applicant",
            at + 4 * DAY,
        )
        .await
        .unwrap();
    assert_eq!(store.incident(incident).await.unwrap().status, "reopened");
    let control = store
        .tasks(&TaskFilter {
            plugin: Some(TASK_SOURCE.into()),
            ..TaskFilter::default()
        })
        .await
        .unwrap();
    assert!(
        control
            .iter()
            .any(|t| t.key.starts_with(&format!("incident-{incident}-control"))),
        "a curator's control task"
    );

    // Past the deadline: a root-cause record for each overdue incident, once.
    assert_eq!(store.open_root_causes(at + 60 * DAY).await.unwrap(), 2);
    assert_eq!(store.open_root_causes(at + 60 * DAY).await.unwrap(), 0);
    let report = store.appeal_report(at + 60 * DAY).await.unwrap();
    assert_eq!((report.appeals, report.incidents, report.merged), (4, 2, 1));
    assert_eq!(
        (report.in_review, report.reopened, report.root_causes),
        (1, 1, 2)
    );
}

on_both_databases!(
    appeals_through_the_host,
    appeals_are_routed_merged_and_followed
);
