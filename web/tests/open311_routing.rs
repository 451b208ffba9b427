//! An Open311 client's appeals through the whole region, on SQLite and PostgreSQL: two
//! requests about one pothole 30 m apart are filed over HTTP, the host's round calls the
//! signed reference router, and the client reads back one authority and one deadline for both
//! — they became one incident, the city's, found from the point by the catalogue's outlines;
//! a malformed request is refused and stores nothing.

mod common;

use reqwest::StatusCode;
use serde_json::Value;
use zemstvo_core::appeals::Catalogue;
use zemstvo_registry::{NamePattern, SecretKey, VendorId};
use zemstvo_service::InstallOptions;
use zemstvo_store::appeals::{AppealFilter, Routed};
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;
use zemstvo_web::auth::hash_secret;

const KEY: &str = "portal-key-9f1c2b7a";
const CATALOGUE: &str = include_str!("../../plugins/appeal-router/catalogue.json");

fn pothole(lat: &str, text: &str) -> Vec<(&'static str, String)> {
    vec![
        ("api_key", KEY.into()),
        ("service_code", "roads.pothole".into()),
        ("lat", lat.into()),
        ("long", "39.5708".into()),
        ("email", "petrov@example.ru".into()),
        ("description", text.into()),
    ]
}

async fn two_reports_of_one_pothole_become_one_incident(db: TestDatabase) {
    let (store, host) = common::region_with_plugin(&db).await;
    let catalogue: Catalogue = serde_json::from_str(CATALOGUE).unwrap();
    store
        .load_appeal_catalogue(&catalogue, "test")
        .await
        .unwrap();
    let staff: Vec<u64> = {
        let mut s: Vec<u64> = store
            .active_employees(&(1..=100).collect::<Vec<_>>())
            .await
            .unwrap()
            .into_iter()
            .collect();
        s.sort_unstable();
        s
    };
    for a in &catalogue.authorities {
        store
            .set_appeal_authority(&a.code, staff[1], Some(staff[0]))
            .await
            .unwrap();
    }
    store
        .add_appeal_channel("city-portal", &hash_secret(KEY))
        .await
        .unwrap();
    let key = SecretKey::from_seed(&[9; 32]);
    let vendor = VendorId::new("router-vendor").unwrap();
    host.installations()
        .update_trust("test", "trust-add", serde_json::json!({}), |t| {
            t.trust(key.public_key(), vendor.clone(), vec![NamePattern::any()])
        })
        .await
        .unwrap();
    let options = InstallOptions {
        enable: true,
        grant_declared: true,
        actor: "test".into(),
        ..InstallOptions::default()
    };
    zemstvo_service::pack_and_install(
        &host,
        zemstvo_plugin_artifacts::reference("appeal-router")
            .unwrap()
            .bytes,
        &vendor,
        &key,
        &options,
    )
    .await
    .unwrap();
    let (base, _stop) = common::serve_api(host.clone()).await;
    let client = reqwest::Client::new();
    let post = |form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = format!("{base}/open311/v2/requests.json");
        async move {
            let response = client.post(url).form(&form).send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    let (status, first) = post(pothole(
        "52.60310",
        "Яма на дороге у дома 12, колёса пробивают",
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // ~30 m north of the first.
    let (status, second) = post(pothole(
        "52.60337",
        "Опять яма на дороге возле остановки, никто не чинит",
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    // Malformed: a latitude off the globe — the specification's error, nothing stored.
    let (status, refused) = post(pothole("95", "Яма на дороге")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused[0]["description"].as_str().unwrap().contains("lat"));
    assert_eq!(
        store
            .appeals(&AppealFilter {
                limit: 10,
                ..AppealFilter::default()
            })
            .await
            .unwrap()
            .len(),
        2
    );

    let routed = host.appeals().route_appeals(10).await.unwrap();
    assert_eq!(routed.len(), 2, "{routed:?}");
    let Some(Routed::NewIncident { incident }) = routed[0].routed else {
        panic!("{routed:?}");
    };
    assert_eq!(routed[1].routed, Some(Routed::Merged { incident }));

    let mut agencies = Vec::new();
    for answer in [&first, &second] {
        let id = answer[0]["service_request_id"].as_str().unwrap();
        let response = client
            .get(format!("{base}/open311/v2/requests/{id}.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let request = &body[0];
        assert_eq!(request["status"], "open", "{request}");
        assert!(request["expected_datetime"].is_string(), "{request}");
        assert!(!request.to_string().contains("petrov@example.ru"));
        agencies.push(request["agency_responsible"].clone());
    }
    assert_eq!(agencies[0], agencies[1]);
    // The client sent a point, not a municipality: the catalogue's outlines put it in the
    // city, so the city's administration answers, not the region's roads department.
    assert_eq!(agencies[0], "Администрация города Липецка", "{agencies:?}");
    assert_eq!(store.incident(incident).await.unwrap().appeals, 2);
}

on_both_databases!(
    open311_pothole_reports_merge,
    two_reports_of_one_pothole_become_one_incident
);
