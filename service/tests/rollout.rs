//! A staged rollout: the shadow of an eligibility rule decides — and delivers — a stable share
//! of the applications; the host evaluates it every window of its decisions and rolls it back
//! by itself when it fails its thresholds (a candidate that fails one call in ten; a candidate
//! that decides too many applications otherwise), after which the live version decides all.

mod common;

use common::{host, income_rule, income_rule_package, install, region, submit_income};
use zemstvo_core::eligibility::{Application, ApplicationChannel};
use zemstvo_service::rollout::in_share;
use zemstvo_service::{Candidate, RegionHost, RolloutError};
use zemstvo_store::rollouts::{RolloutSettings, RolloutState};
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, on_both_databases};

const RULE: &str = "income-rule";

fn settings(share: u8, window: u32, failure_limit: u32) -> RolloutSettings {
    RolloutSettings {
        share_percent: share,
        measures: Vec::new(),
        window,
        max_failure_rate: 0.05,
        max_changed_rate: 0.2,
        // Run time is not what these candidates get wrong; a debug build's timings are noise.
        max_duration_ratio: 1000.0,
        failure_limit,
    }
}

fn in_rollout(id: u64, s: &RolloutSettings) -> bool {
    let app = Application {
        id,
        applicant: 0,
        measure: "test-allowance".into(),
        submitted: 0,
        channel: ApplicationChannel::Portal,
        fields: Vec::new(),
    };
    in_share(RULE, &app, s)
}

/// The version that decided each application, from the decision records.
async fn deciders(store: &Store) -> Vec<(u64, String)> {
    let records = store
        .decision_record_page(RULE, (i64::MIN, i64::MAX), 0, 10_000)
        .await
        .unwrap();
    records
        .into_iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            let app = body["inputs"]["application"]["id"].as_u64().unwrap();
            (app, r.version)
        })
        .collect()
}

/// Rounds until one does nothing more.
async fn settle(h: &RegionHost) {
    for _ in 0..20 {
        let round = h.tick().await.unwrap();
        if round.decisions.is_empty() && round.shadowed == 0 {
            let before = h.store().rollouts().await.unwrap();
            h.shadow_round().await.unwrap();
            if h.store().rollouts().await.unwrap() == before {
                return;
            }
        }
    }
    panic!("the host never settled");
}

async fn a_failing_candidate_is_rolled_back(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    install(&h, &income_rule("1.0.0"), None).await;
    let candidate = income_rule_package(&h, "1.2.0").await;
    h.start_shadow(RULE, &Candidate::Package(candidate), "admin")
        .await
        .unwrap();
    // Judged on its failures alone here (the shadow's own failures on the live share also
    // count as decisions it takes otherwise).
    let s = RolloutSettings {
        max_changed_rate: 1.0,
        ..settings(50, 4, 2)
    };
    let rollout = h.start_rollout(RULE, &s, "admin").await.unwrap();
    assert_eq!(rollout.state, RolloutState::Running);

    let mut ids = Vec::new();
    for _ in 0..100 {
        ids.push(submit_income(&store, Some(10_000)).await);
    }
    // What must happen, from the stable share and the candidate's one failure in ten: its
    // decisions in windows of 4; the second window holding a failure rolls it back.
    let share: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|&id| in_rollout(id, &s))
        .collect();
    assert!(
        (35..=65).contains(&share.len()),
        "{} of 100 in a 50 % share",
        share.len()
    );
    let windows: Vec<&[u64]> = share.chunks(4).filter(|w| w.len() == 4).collect();
    let failing: Vec<usize> = (0..windows.len())
        .filter(|&i| windows[i].iter().any(|id| id.is_multiple_of(10)))
        .collect();
    assert!(
        failing.len() >= 2,
        "the fixture fails often enough: {failing:?}"
    );
    let rolled_back_after = failing[1] + 1;

    settle(&h).await;
    let r = h.rollout(RULE).await.unwrap();
    assert_eq!(r.state, RolloutState::RolledBack, "{r:?}");
    assert_eq!(
        (r.evaluations, r.failed_evaluations),
        (rolled_back_after as u64, 2)
    );
    let reason = r.ended_reason.clone().unwrap();
    assert!(
        reason.contains("2 of") && reason.contains("failure rate"),
        "{reason}"
    );
    let last = r.last_evaluation.clone().unwrap();
    assert!(!last.passed() && last.candidate_decisions == 4, "{last:?}");
    assert!(
        last.live_decisions > 0 && last.changed_rate.is_some(),
        "{last:?}"
    );

    // The candidate decided (and delivered) exactly its share; the live version the rest.
    let decided = deciders(&store).await;
    assert_eq!(decided.len(), 100);
    for (app, version) in &decided {
        let expected = if in_rollout(*app, &s) {
            "1.2.0"
        } else {
            "1.0.0"
        };
        assert_eq!(version, expected, "application {app}");
    }
    let approved = store
        .eligibility_cases(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.plugin == RULE && c.verdict.as_deref() == Some("approve"))
        .count();
    let failed_calls = share.iter().filter(|id| id.is_multiple_of(10)).count();
    assert_eq!(approved, 100 - failed_calls);

    // The audit log has every step; a second host finds nothing left to evaluate.
    let audit = store.audit_log(Some(RULE), 10_000).await.unwrap();
    let count = |action: &str| audit.iter().filter(|e| e.action == action).count();
    assert_eq!(count("rollout-start"), 1);
    assert_eq!(count("rollout-evaluation"), rolled_back_after);
    assert_eq!(count("rollout-rollback"), 1);
    let other = host(&store, "host-b").await;
    other.shadow_round().await.unwrap();
    assert_eq!(h.rollout(RULE).await.unwrap(), r);

    // After the rollback the live version decides every new application.
    let mut later = Vec::new();
    for _ in 0..20 {
        later.push(submit_income(&store, Some(10_000)).await);
    }
    settle(&h).await;
    let decided = deciders(&store).await;
    for id in later {
        let version = &decided.iter().find(|(a, _)| *a == id).unwrap().1;
        assert_eq!(version, "1.0.0", "application {id} after the rollback");
    }

    // The shadow stays; ending it ends the rollout too, in the audit log.
    h.discard_shadow(RULE, "admin").await.unwrap();
    assert!(matches!(
        h.rollout(RULE).await,
        Err(RolloutError::NoRollout(_))
    ));
    let audit = store.audit_log(Some(RULE), 10).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "rollout-end"));
}
on_both_databases!(
    a_candidate_failing_one_call_in_ten_is_rolled_back_by_the_host,
    a_failing_candidate_is_rolled_back
);

async fn a_differing_candidate_is_rolled_back(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    install(&h, &income_rule("1.0.0"), None).await;
    h.start_shadow(
        RULE,
        &Candidate::Package(income_rule_package(&h, "1.1.0").await),
        "admin",
    )
    .await
    .unwrap();
    let s = settings(50, 3, 1);
    h.start_rollout(RULE, &s, "admin").await.unwrap();
    // Every other income lies between the two versions' thresholds: 1.0.0 approves it, the
    // candidate 1.1.0 denies it.
    let mut ids = Vec::new();
    for i in 0..40 {
        let income = if i % 2 == 0 { 10_000 } else { 27_000 };
        ids.push((submit_income(&store, Some(income)).await, income));
    }
    settle(&h).await;
    let r = h.rollout(RULE).await.unwrap();
    assert_eq!(r.state, RolloutState::RolledBack, "{r:?}");
    assert_eq!(r.failed_evaluations, 1, "{r:?}");
    let last = r.last_evaluation.unwrap();
    assert_eq!(last.candidate_failures, 0);
    assert!(last.live_decisions > 0 && last.differing > 0, "{last:?}");
    assert!(
        r.ended_reason
            .as_deref()
            .unwrap()
            .contains("decided otherwise"),
        "{:?}",
        r.ended_reason
    );
    // The candidate's share was delivered as the candidate decided it: denied at 27,000.
    let (first, _) = ids
        .iter()
        .copied()
        .find(|&(id, income)| income == 27_000 && in_rollout(id, &s))
        .expect("a 27,000 application in the share");
    let case = store
        .eligibility_cases(&zemstvo_store::eligibility::CaseFilter {
            application: Some(first),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(case[0].verdict.as_deref(), Some("deny"));
}
on_both_databases!(
    a_candidate_deciding_too_many_applications_otherwise_is_rolled_back,
    a_differing_candidate_is_rolled_back
);

async fn refused_rollouts(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    install(&h, &income_rule("1.0.0"), None).await;
    let no_shadow = h
        .start_rollout(RULE, &settings(10, 10, 1), "admin")
        .await
        .unwrap_err();
    assert!(
        matches!(no_shadow, RolloutError::NoShadow(_)),
        "{no_shadow}"
    );
    h.start_shadow(
        RULE,
        &Candidate::Package(income_rule_package(&h, "1.1.0").await),
        "admin",
    )
    .await
    .unwrap();
    for (bad, field) in [
        (settings(0, 10, 1), "share_percent"),
        (settings(101, 10, 1), "share_percent"),
        (settings(10, 0, 1), "window"),
        (settings(10, 10, 0), "failure_limit"),
    ] {
        match h.start_rollout(RULE, &bad, "admin").await {
            Err(RolloutError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(
        store.rollout(RULE).await.unwrap().is_none(),
        "nothing stored"
    );
    h.start_rollout(RULE, &settings(10, 10, 1), "admin")
        .await
        .unwrap();
    let twice = h
        .start_rollout(RULE, &settings(20, 10, 1), "admin")
        .await
        .unwrap_err();
    assert!(twice.to_string().contains("already rolling out"), "{twice}");
    let stopped = h.stop_rollout(RULE, "admin").await.unwrap();
    assert_eq!(stopped.settings.share_percent, 10);
    assert!(matches!(
        h.stop_rollout(RULE, "admin").await,
        Err(RolloutError::NoRollout(_))
    ));
    assert!(
        store.shadow(RULE).await.unwrap().is_some(),
        "the shadow stays"
    );
}
on_both_databases!(
    rollouts_out_of_bounds_or_without_a_shadow_are_refused,
    refused_rollouts
);
