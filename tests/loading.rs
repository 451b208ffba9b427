//! Bad input is refused with an error that names the problem, nothing is loaded half-way,
//! and the host keeps running.

mod common;

use zemstvo_core::capabilities::config::ConfigError;
use zemstvo_core::metadata::MetadataError;
use zemstvo_host::local::LocalRun;
use zemstvo_host::runtime::{ArtifactCache, CacheOutcome};
use zemstvo_host::{FailureReason, LoadError, PluginKind, Runtime, RuntimeSettings};

use common::{fixture, reference_plugin, region, runtime};

async fn refused(rt: &Runtime, bytes: &[u8]) -> LoadError {
    match rt.load(bytes).await {
        Ok(p) => panic!("{} loaded", p.metadata.name),
        Err(e) => e,
    }
}

#[tokio::test]
async fn a_text_file_is_not_webassembly() {
    let rt = runtime();
    let err = refused(&rt, b"#!/bin/sh\necho not a plugin\n").await;
    assert!(matches!(err, LoadError::NotWasm { .. }), "{err}");
    assert!(err.to_string().contains("not a WebAssembly file"), "{err}");
}

#[tokio::test]
async fn a_core_module_is_told_to_build_for_wasip2() {
    let rt = runtime();
    let err = refused(&rt, b"\0asm\x01\0\0\0").await;
    assert!(err.to_string().contains("wasm32-wasip2"), "{err}");
}

#[tokio::test]
async fn a_truncated_component_is_invalid() {
    let rt = runtime();
    let bytes = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay")
        .unwrap()
        .bytes;
    let err = refused(&rt, &bytes[..bytes.len() / 2]).await;
    assert!(matches!(err, LoadError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn a_component_of_no_zemstvo_world_is_not_a_plugin() {
    let rt = runtime();
    let err = refused(
        &rt,
        &zemstvo_plugin_artifacts::fixture("fixture-wrong-world"),
    )
    .await;
    match &err {
        LoadError::NotAPlugin { exports } => {
            assert!(
                exports.iter().any(|e| e.starts_with("wasi:cli/run")),
                "{exports:?}"
            )
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("zemstvo-sdk"), "{err}");
}

#[tokio::test]
async fn a_plugin_of_another_kind_is_refused_where_a_deviation_check_is_expected() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-risk-scoring").await;
    assert_eq!(plugin.kind(), PluginKind::RiskScoring);
    let err = plugin.expect_kind(PluginKind::DeviationCheck).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a deviation-check plugin, but the component is a risk-scoring plugin"
    );
}

#[tokio::test]
async fn a_risk_scoring_plugin_runs_in_its_own_world() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-risk-scoring").await;
    let demo = std::sync::Arc::new(zemstvo_demo::demo_region(
        zemstvo_demo::DemoScale::SMALL,
        1,
        1_795_413_600,
    ));
    let request = LocalRun::default().request(&plugin, demo, None).unwrap();
    let report = rt.run(&plugin, request).await;
    assert!(report.succeeded(), "{:?}", report.failure());
    assert_eq!(report.outputs.assessments.len(), 200);
    assert!(
        report
            .outputs
            .assessments
            .rows()
            .iter()
            .all(|a| a.category == "low")
    );
}

#[tokio::test]
async fn an_unknown_capability_is_named_with_the_known_ones() {
    let rt = runtime();
    let err = refused(
        &rt,
        &zemstvo_plugin_artifacts::fixture("fixture-unknown-capability"),
    )
    .await;
    assert!(
        matches!(
            err,
            LoadError::Metadata(MetadataError::UnknownCapability(_))
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("`data.everything`") && text.contains("data.smev"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unknown_kind_is_named_with_the_known_ones() {
    let rt = runtime();
    let err = refused(
        &rt,
        &zemstvo_plugin_artifacts::fixture("fixture-unknown-kind"),
    )
    .await;
    assert_eq!(
        err.to_string(),
        format!(
            "the plugin's metadata is invalid: {}",
            MetadataError::UnknownKind("deviation-chek".into())
        )
    );
}

#[tokio::test]
async fn metadata_that_reads_data_is_refused() {
    let rt = runtime();
    let err = refused(
        &rt,
        &zemstvo_plugin_artifacts::fixture("fixture-metadata-calls-host"),
    )
    .await;
    match err {
        LoadError::MetadataCall(FailureReason::Trapped { message }) => {
            assert!(
                message.contains("metadata must not use host interfaces"),
                "{message}"
            )
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_config_that_does_not_match_the_schema_is_refused_before_the_run() {
    let rt = runtime();
    let plugin = reference_plugin(&rt).await;
    let attempt = |settings: &[(&str, &str)]| {
        LocalRun {
            config: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..LocalRun::default()
        }
        .request(&plugin, region(), None)
        .map(|_| ())
    };
    assert!(matches!(
        attempt(&[("max-wait", "4")]),
        Err(ConfigError::UnknownKey { .. })
    ));
    assert!(matches!(
        attempt(&[("max-wait-days", "four")]),
        Err(ConfigError::WrongType { .. })
    ));
    assert!(matches!(
        attempt(&[("max-wait-days", "61")]),
        Err(ConfigError::OutOfRange { .. })
    ));
    assert!(attempt(&[("max-wait-days", "5")]).is_ok());
}

#[tokio::test]
async fn the_host_keeps_loading_after_refusals() {
    let rt = runtime();
    for name in [
        "fixture-wrong-world",
        "fixture-unknown-capability",
        "fixture-unknown-kind",
        "fixture-metadata-calls-host",
    ] {
        let _ = refused(&rt, &zemstvo_plugin_artifacts::fixture(name)).await;
    }
    let _ = refused(&rt, b"garbage").await;
    let plugin = reference_plugin(&rt).await;
    let report = rt
        .run(
            &plugin,
            common::request(&plugin, region(), common::tight_limits()),
        )
        .await;
    assert!(report.succeeded(), "{:?}", report.failure());
}

#[tokio::test]
async fn a_precompiled_artifact_is_reused_and_a_corrupt_one_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::new(RuntimeSettings {
        cache_dir: Some(dir.path().to_path_buf()),
        max_concurrent_runs: 2,
        ..RuntimeSettings::default()
    })
    .unwrap();
    let bytes = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay")
        .unwrap()
        .bytes;
    let (_, first, _) = rt.load_timed(bytes).await.unwrap();
    assert_eq!(first, CacheOutcome::Compiled);
    let (_, second, _) = rt.load_timed(bytes).await.unwrap();
    assert_eq!(second, CacheOutcome::Hit);

    let cache = ArtifactCache::open(dir.path()).unwrap();
    let artifact = std::fs::read_dir(cache.dir())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::write(&artifact, b"not a precompiled artifact").unwrap();
    let (plugin, third, _) = rt.load_timed(bytes).await.unwrap();
    assert_eq!(third, CacheOutcome::Compiled);
    let report = rt
        .run(
            &plugin,
            common::request(&plugin, region(), common::tight_limits()),
        )
        .await;
    assert!(report.succeeded());
}

/// Every fixture must be exercised by a test in this directory.
#[test]
fn every_fixture_is_exercised() {
    let sources = [
        include_str!("sandbox.rs"),
        include_str!("hostile.rs"),
        include_str!("loading.rs"),
        include_str!("crash.rs"),
        include_str!("wit_versions.rs"),
        include_str!("../service/tests/host.rs"),
        include_str!("../service/tests/install.rs"),
        include_str!("../service/tests/replay.rs"),
        include_str!("../service/tests/replay_run.rs"),
        include_str!("../service/tests/common/mod.rs"),
    ]
    .concat();
    macro_rules! check {
        ($name:ident) => {
            let name = stringify!($name).replace('_', "-");
            assert!(
                sources.contains(&format!("\"{name}\"")),
                "no test loads `{name}`"
            );
        };
    }
    zemstvo_plugin_artifacts::foreach_fixture!(check);
}
