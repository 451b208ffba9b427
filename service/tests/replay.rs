//! Replay of recorded eligibility decisions on a candidate: the same version reproduces every
//! record, a candidate with one threshold changed flips exactly the decisions between the two
//! thresholds, and nothing a replay runs reaches the region.

mod common;

use common::{host, income_rule, income_rule_package, install, region, submit_income, vendor_key};
use zemstvo_service::{Candidate, RegionHost, ReplayError, ReplayRequest};
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, on_both_databases};

/// Monthly incomes on the applications (rubles); `None` leaves the field out. Version 1.0.0
/// approves up to 30,000, the candidate 1.1.0 up to 25,000: 26,000, 29,999 and 30,000 flip.
const INCOMES: [Option<i64>; 9] = [
    Some(10_000),
    Some(24_000),
    Some(25_000),
    Some(26_000),
    Some(29_999),
    Some(30_000),
    Some(31_000),
    Some(50_000),
    None,
];

/// Submits one application per income and lets income-rule 1.0.0 decide them; returns the
/// application ids in `INCOMES` order.
async fn decided_region(store: &Store) -> (RegionHost, Vec<u64>) {
    let h = host(store, "host-a").await;
    install(&h, &income_rule("1.0.0"), None).await;
    let mut ids = Vec::new();
    for income in INCOMES {
        ids.push(submit_income(store, income).await);
    }
    let decided = h.decisions().decide_applications(100).await.unwrap();
    assert_eq!(
        decided.len(),
        INCOMES.len(),
        "every application was decided"
    );
    (h, ids)
}

/// What a replay must leave as it was: the records, the tasks, the outbox, the SMEV queue.
async fn footprint(store: &Store) -> (i64, usize, String) {
    let chain = store.verify_decision_chain(None).await.unwrap();
    assert!(chain.intact());
    let tasks = store.tasks(&Default::default()).await.unwrap().len();
    let cases = format!("{:?}", store.eligibility_cases(&Default::default()).await);
    (chain.records, tasks, cases)
}

async fn replay_on_a_candidate(db: TestDatabase) {
    let store = region(&db).await;
    let (h, ids) = decided_region(&store).await;
    let before = footprint(&store).await;

    // The installed version reproduces every record exactly.
    let same = h
        .replay(&ReplayRequest::new("income-rule", Candidate::Installed))
        .await
        .unwrap();
    assert_eq!(
        (
            same.replayed,
            same.identical,
            same.changed,
            same.explained_differently,
            same.failed
        ),
        (9, 9, 0, 0, 0),
        "{same:?}"
    );
    assert_eq!(same.recorded_versions.get("1.0.0"), Some(&9));

    // The candidate with the lower threshold flips exactly the three between the thresholds;
    // the two denied above both are told the new threshold; the three approved below both are
    // approved alike with the new threshold in their trace; the application without an
    // income, denied by 1.0.0, is one the candidate asks the tax service about.
    let bytes = income_rule_package(&h, "1.1.0").await;
    let candidate = h
        .replay(&ReplayRequest::new(
            "income-rule",
            Candidate::Package(bytes.clone()),
        ))
        .await
        .unwrap();
    assert_eq!(candidate.candidate.version, "1.1.0");
    assert!(candidate.candidate.signer.is_some());
    assert_eq!(
        (
            candidate.replayed,
            candidate.identical,
            candidate.changed,
            candidate.explained_differently,
            candidate.failed
        ),
        (9, 0, 6, 3, 0),
        "{candidate:?}"
    );
    assert_eq!(
        candidate.changes.iter().collect::<Vec<_>>(),
        vec![
            (&"approved → denied".to_string(), &3),
            (&"decided → asks for more".to_string(), &1),
            (&"reasons changed".to_string(), &2)
        ]
    );
    let of_kind = |kind: &str| -> Vec<u64> {
        candidate
            .differences
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.application)
            .collect()
    };
    assert_eq!(of_kind("approved → denied"), vec![ids[3], ids[4], ids[5]]);
    assert_eq!(of_kind("reasons changed"), vec![ids[6], ids[7]]);
    assert_eq!(of_kind("decided → asks for more"), vec![ids[8]]);
    assert_eq!(
        candidate.differences.len(),
        6,
        "explanations are counted, not listed"
    );
    let d = &candidate.differences[0];
    assert_eq!(d.application, ids[3]);
    assert!(d.recorded.starts_with("approved 1000.00 a month"), "{d:?}");
    assert!(
        d.candidate.contains("Доход 26000 ₽ выше порога 25000 ₽."),
        "{d:?}"
    );

    // A window and the differences kept are bounded.
    let mut bounded = ReplayRequest::new("income-rule", Candidate::Package(bytes.clone()));
    bounded.limit = Some(5);
    bounded.max_differences = 1;
    let bounded = h.replay(&bounded).await.unwrap();
    assert_eq!(bounded.replayed, 5);
    assert_eq!((bounded.changed, bounded.differences.len()), (2, 1));
    assert_eq!(bounded.differences_left_out, 1);
    assert_eq!(bounded.explained_differently, 3);
    let mut later = ReplayRequest::new("income-rule", Candidate::Installed);
    later.since = Some(i64::MAX - 1);
    assert_eq!(h.replay(&later).await.unwrap().replayed, 0);

    // Nothing a replay ran reached the region.
    assert_eq!(footprint(&store).await, before);

    // After the upgrade the old version is a candidate by its number.
    install(&h, &income_rule("1.1.0"), None).await;
    let back = h
        .replay(&ReplayRequest::new(
            "income-rule",
            Candidate::Version("1.0.0".into()),
        ))
        .await
        .unwrap();
    assert_eq!(
        (back.identical, back.changed, back.explained_differently),
        (9, 0, 0)
    );
    let now = h
        .replay(&ReplayRequest::new("income-rule", Candidate::Installed))
        .await
        .unwrap();
    assert_eq!((now.candidate.version.as_str(), now.changed), ("1.1.0", 6));
}
on_both_databases!(
    a_candidate_with_one_threshold_changed_flips_exactly_the_decisions_between_the_thresholds,
    replay_on_a_candidate
);

async fn refused_candidates(db: TestDatabase) {
    let store = region(&db).await;
    let (h, _) = decided_region(&store).await;
    let replay = |candidate| {
        let h = &h;
        async move {
            h.replay(&ReplayRequest::new("income-rule", candidate))
                .await
                .unwrap_err()
        }
    };
    let unknown = replay(Candidate::Version("9.9.9".into())).await;
    assert!(
        matches!(unknown, ReplayError::UnknownVersion { .. }),
        "{unknown}"
    );
    assert!(
        unknown
            .to_string()
            .contains("zemstvo plugin history income-rule")
    );

    // A package of another plugin, one with a changed byte, one by an untrusted vendor.
    let other = zemstvo_service::pack(
        h.runtime(),
        &zemstvo_plugin_artifacts::fixture("fixture-versioned-v1-0-0"),
        &vendor_key().1,
        &[&vendor_key().0],
        semver::Version::new(0, 1, 0),
    )
    .await
    .unwrap()
    .to_bytes();
    let e = replay(Candidate::Package(other)).await;
    assert!(matches!(e, ReplayError::OtherPlugin { .. }), "{e}");
    let mut changed = income_rule_package(&h, "1.1.0").await;
    let at = changed.len() - 100;
    changed[at] ^= 1;
    let e = replay(Candidate::Package(changed)).await;
    assert!(matches!(e, ReplayError::Refused(_)), "{e}");
    let stranger = zemstvo_registry::SecretKey::from_seed(&[9; 32]);
    let untrusted = zemstvo_service::pack(
        h.runtime(),
        &income_rule("1.1.0"),
        &vendor_key().1,
        &[&stranger],
        semver::Version::new(0, 1, 0),
    )
    .await
    .unwrap()
    .to_bytes();
    let e = replay(Candidate::Package(untrusted)).await;
    assert!(matches!(e, ReplayError::Refused(_)), "{e}");

    // A batch plugin's records hold no rows to replay on.
    let reference = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay")
        .unwrap()
        .bytes;
    install(&h, reference, None).await;
    let e = h
        .replay(&ReplayRequest::new(
            "isu-smev-answer-delay",
            Candidate::Installed,
        ))
        .await
        .unwrap_err();
    assert!(matches!(e, ReplayError::NotReplayable { .. }), "{e}");
    let e = h
        .replay(&ReplayRequest::new("no-such-rule", Candidate::Installed))
        .await
        .unwrap_err();
    assert!(matches!(e, ReplayError::NotInstalled(_)), "{e}");
}
on_both_databases!(
    a_replay_refuses_unknown_versions_other_plugins_changed_or_untrusted_packages_and_batch_plugins,
    refused_candidates
);
