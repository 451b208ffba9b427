//! A shadow candidate of an eligibility rule: it is called on the live version's calls with
//! their recorded inputs, its differences are kept decision by decision, nothing it decides or
//! asks for leaves the host, each decision is compared once even with two hosts, and only an
//! administrator's promotion makes it live.

mod common;

use common::{host, income_rule, income_rule_package, install, region, submit_income};
use zemstvo_service::{Candidate, ReplayError, ShadowError};
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, on_both_databases};

/// Incomes (rubles) on the applications; `None` leaves the field out. The live 1.0.0 approves
/// up to 30,000 and denies an application without an income; the shadow 1.1.0 approves up to
/// 25,000 and asks the tax service about a missing income.
const INCOMES: [Option<i64>; 5] = [Some(10_000), Some(26_000), Some(31_000), None, Some(29_999)];

/// What leaves the host or reaches people: the SMEV outbox, the tasks, the notifications
/// outbox, and the cases' decisions.
async fn deliveries(store: &Store) -> (Vec<(String, String)>, usize, String) {
    let tasks = store.tasks(&Default::default()).await.unwrap().len();
    let cases: Vec<_> = store
        .eligibility_cases(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.application_id, c.status, c.verdict, c.plugin))
        .collect();
    (
        store.smev_outbox().await.unwrap(),
        tasks,
        format!("{cases:?}"),
    )
}

async fn shadow_beside_the_live_version(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    install(&h, &income_rule("1.0.0"), None).await;
    let candidate = income_rule_package(&h, "1.1.0").await;
    let shadow = h
        .start_shadow(
            "income-rule",
            &Candidate::Package(candidate.clone()),
            "admin",
        )
        .await
        .unwrap();
    assert_eq!(shadow.version, "1.1.0");

    // The applications arrive; the host's rounds decide them with the live version and
    // compare the shadow on the same calls.
    let mut ids = Vec::new();
    for income in INCOMES {
        ids.push(submit_income(&store, income).await);
    }
    let mut shadowed = 0;
    let mut decided = 0;
    for _ in 0..3 {
        let round = h.tick().await.unwrap();
        shadowed += round.shadowed;
        decided += round.decisions.len();
    }
    assert_eq!((decided, shadowed), (5, 5), "each live call compared once");

    let report = h.shadow_report("income-rule", 100).await.unwrap();
    let c = report.shadow.counts;
    assert_eq!(
        (
            c.compared,
            c.identical,
            c.explained_differently,
            c.changed,
            c.failed
        ),
        (5, 0, 1, 4, 0),
        "{report:?}"
    );
    assert_eq!(report.behind, 0);
    assert_eq!(report.live_version.as_deref(), Some("1.0.0"));
    assert_eq!(
        report.changes.iter().collect::<Vec<_>>(),
        vec![
            (&"approved → denied".to_string(), &2),
            (&"decided → asks for more".to_string(), &1),
            (&"reasons changed".to_string(), &1),
        ]
    );
    let asked = report
        .differences
        .iter()
        .find(|d| d.application == ids[3])
        .expect("the application without an income differs");
    assert_eq!(asked.kind, "decided → asks for more");
    assert_eq!(asked.live, "denied: В заявлении не указан доход.");
    assert_eq!(asked.shadow, "asks fns/income");

    // Nothing the shadow decided or asked for left the host: the live version denied the
    // application without an income and asked nobody; no task, no message.
    let before = deliveries(&store).await;
    assert!(
        before.0.is_empty(),
        "no SMEV request queued: {:?}",
        before.0
    );
    let case = store
        .eligibility_cases(&zemstvo_store::eligibility::CaseFilter {
            application: Some(ids[3]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(case[0].verdict.as_deref(), Some("deny"));

    // A second host on the same database finds nothing left to compare.
    let other = host(&store, "host-b").await;
    assert_eq!(other.shadow_round().await.unwrap(), 0);
    assert_eq!(h.shadow_round().await.unwrap(), 0);
    assert_eq!(deliveries(&store).await, before);

    // One shadow at a time; the installed version is no shadow of itself.
    let twice = h
        .start_shadow(
            "income-rule",
            &Candidate::Package(candidate.clone()),
            "admin",
        )
        .await
        .unwrap_err();
    assert!(
        twice.to_string().contains("already has a shadow"),
        "{twice}"
    );

    // Promotion installs it as the live version, keeps the rule enabled, ends the shadow
    // and leaves the summary in the audit log.
    let (outcome, ended) = h
        .promote_shadow("income-rule", "admin", None)
        .await
        .unwrap();
    assert_eq!(
        (outcome.version.as_str(), ended.counts.changed),
        ("1.1.0", 4)
    );
    let installed = store.installation("income-rule").await.unwrap().unwrap();
    assert_eq!(
        (installed.version.as_str(), installed.enabled),
        ("1.1.0", true)
    );
    assert!(store.shadow("income-rule").await.unwrap().is_none());
    let audit = store.audit_log(Some("income-rule"), 20).await.unwrap();
    let promoted = audit
        .iter()
        .find(|e| e.action == "shadow-promote")
        .expect("the promotion is in the audit log");
    assert_eq!(promoted.actor, "admin");
    assert_eq!(promoted.details["counts"]["changed"], 4);
    assert_eq!(promoted.details["differences"], 4);
    assert!(audit.iter().any(|e| e.action == "shadow-start"));

    // Live now, the same need goes out.
    submit_income(&store, None).await;
    h.tick().await.unwrap();
    let outbox = store.smev_outbox().await.unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");

    // The earlier version, which the region holds, can shadow the new one; discarding it
    // installs nothing.
    let back = h
        .start_shadow("income-rule", &Candidate::Version("1.0.0".into()), "admin")
        .await
        .unwrap();
    assert_eq!(back.version, "1.0.0");
    let ended = h.discard_shadow("income-rule", "admin").await.unwrap();
    assert_eq!(ended.version, "1.0.0");
    let installed = store.installation("income-rule").await.unwrap().unwrap();
    assert_eq!(installed.version, "1.1.0");
    assert!(
        store
            .audit_log(Some("income-rule"), 5)
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "shadow-discard")
    );
    let none = h.discard_shadow("income-rule", "admin").await.unwrap_err();
    assert!(matches!(none, ShadowError::NoShadow(_)), "{none}");
}
on_both_databases!(
    a_shadow_is_compared_on_the_live_calls_and_delivers_nothing_until_promoted,
    shadow_beside_the_live_version
);

async fn refused_shadows(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    install(&h, &income_rule("1.0.0"), None).await;
    let start = |plugin: &'static str, candidate: Candidate| {
        let h = &h;
        async move {
            h.start_shadow(plugin, &candidate, "admin")
                .await
                .unwrap_err()
        }
    };
    let e = start("income-rule", Candidate::Installed).await;
    assert!(matches!(e, ShadowError::SameAsInstalled { .. }), "{e}");
    let itself = income_rule_package(&h, "1.0.0").await;
    let e = start("income-rule", Candidate::Package(itself)).await;
    assert!(matches!(e, ShadowError::SameAsInstalled { .. }), "{e}");
    let e = start("income-rule", Candidate::Version("9.9.9".into())).await;
    assert!(
        matches!(
            e,
            ShadowError::Candidate(ReplayError::UnknownVersion { .. })
        ),
        "{e}"
    );
    let mut changed = income_rule_package(&h, "1.1.0").await;
    let at = changed.len() - 100;
    changed[at] ^= 1;
    let e = start("income-rule", Candidate::Package(changed)).await;
    assert!(
        matches!(e, ShadowError::Candidate(ReplayError::Refused(_))),
        "{e}"
    );
    let e = start("no-such-rule", Candidate::Version("1.0.0".into())).await;
    assert!(
        matches!(e, ShadowError::Candidate(ReplayError::NotInstalled(_))),
        "{e}"
    );
    let reference = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay")
        .unwrap()
        .bytes;
    install(&h, reference, None).await;
    let e = start("isu-smev-answer-delay", Candidate::Installed).await;
    assert!(matches!(e, ShadowError::NotShadowable { .. }), "{e}");
    assert!(store.shadows().await.unwrap().is_empty(), "nothing started");
    let e = h
        .promote_shadow("income-rule", "admin", None)
        .await
        .unwrap_err();
    assert!(matches!(e, ShadowError::NoShadow(_)), "{e}");
}
on_both_databases!(
    a_shadow_refuses_the_installed_version_unknown_versions_changed_packages_and_batch_plugins,
    refused_shadows
);
