//! What the host's integration tests share: a demo region in a test database, a host on it,
//! and installing a component signed by a vendor the region trusts.

#![allow(dead_code)]

use std::sync::Arc;

use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_registry::{NamePattern, SecretKey, VendorId};
use zemstvo_service::{HostSettings, InstallOptions, RegionHost, SmevSettings};
use zemstvo_store::Store;
use zemstvo_store::load::RegionInfo;
use zemstvo_store::testing::TestDatabase;

/// The demo region's "now".
pub const NOW: i64 = 1_795_413_600;

/// The key of the test vendor the region trusts.
pub fn vendor_key() -> (SecretKey, VendorId) {
    (
        SecretKey::from_seed(&[7; 32]),
        VendorId::new("test-vendor").unwrap(),
    )
}

/// A test database holding the small demo region.
pub async fn region(db: &TestDatabase) -> Store {
    let store = db.store().await;
    store
        .create_region(&RegionInfo {
            id: "lipetsk-demo".into(),
            name: "demo".into(),
            timezone: "Europe/Moscow".into(),
        })
        .await
        .unwrap();
    store
        .load_region(&demo_region(DemoScale::SMALL, 11, NOW), &|_, _| {})
        .await
        .unwrap();
    store
}

/// A host of the region without SMEV transport.
pub async fn host(store: &Store, id: &str) -> RegionHost {
    let settings = HostSettings {
        host_id: id.into(),
        smev: SmevSettings::None,
        ..HostSettings::default()
    };
    let runtime = Arc::new(Runtime::new(RuntimeSettings::default()).unwrap());
    RegionHost::open(store.clone(), runtime, settings)
        .await
        .unwrap()
}

/// Installs `component` signed by a test vendor the region trusts, enabled with the grants
/// it declares.
pub async fn install(h: &RegionHost, component: &[u8], schedule: Option<&str>) -> String {
    let (key, vendor) = vendor_key();
    h.installations()
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
    let outcome = zemstvo_service::pack_and_install(h, component, &vendor, &key, &options)
        .await
        .unwrap();
    h.store()
        .set_schedule(&outcome.name, schedule, "test")
        .await
        .unwrap();
    outcome.name
}

/// `income-rule` at 1.0.0 (approves incomes up to 30,000, denies a form without one), 1.1.0
/// (up to 25,000, asks the tax service for a missing income) or 1.2.0 (1.0.0's decisions, but
/// fails for every tenth application): what replays, shadows and rollouts compare.
pub fn income_rule(version: &str) -> Vec<u8> {
    zemstvo_plugin_artifacts::fixture(match version {
        "1.0.0" => "fixture-income-rule-v1-0-0",
        "1.1.0" => "fixture-income-rule-v1-1-0",
        "1.2.0" => "fixture-income-rule-v1-2-0",
        other => panic!("no income-rule {other}"),
    })
}

/// `income-rule` at `version` as a vendor ships it: a package signed by the vendor the region
/// trusts.
pub async fn income_rule_package(h: &RegionHost, version: &str) -> Vec<u8> {
    signed_package(h, &income_rule(version)).await
}

/// `component` as a vendor ships it: a package signed by the vendor the region trusts.
pub async fn signed_package(h: &RegionHost, component: &[u8]) -> Vec<u8> {
    let (key, vendor) = vendor_key();
    zemstvo_service::pack(
        h.runtime(),
        component,
        &vendor,
        &[&key],
        semver::Version::new(0, 1, 0),
    )
    .await
    .unwrap()
    .to_bytes()
}

/// Submits an application for `test-allowance` with `income` (rubles) in its form, or without
/// the field; returns its id.
pub async fn submit_income(store: &Store, income: Option<i64>) -> u64 {
    store
        .submit_application(
            &zemstvo_store::eligibility::NewApplication {
                citizen: 1,
                measure: "test-allowance".into(),
                channel: "portal".into(),
                number: None,
                term_days: 10,
                fields: income
                    .map(|i| vec![("income".to_string(), i.to_string())])
                    .unwrap_or_default(),
            },
            "test",
        )
        .await
        .unwrap()
        .id
}
