//! Appeals in the store on SQLite and on PostgreSQL: an appeal's way from intake through
//! routing, merging, the executor's answer and the applicant's verdict to a root-cause record.

use zemstvo_core::appeals::{
    Authority, Catalogue, Category, Classification, Impact, MergeCandidate, Place, Routing, Urgency,
};
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_store::appeals::{
    AppealFilter, Correction, NewAppeal, Routed, RoutingPolicy, TASK_SOURCE,
};
use zemstvo_store::load::RegionInfo;
use zemstvo_store::on_both_databases;
use zemstvo_store::tasks::{TaskFilter, TaskStatus};
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, StoreError};

const NOW: i64 = 1_795_413_600;
const DAY: i64 = 86_400;

async fn region_store(db: &TestDatabase) -> (Store, Vec<u64>) {
    let store = db.store().await;
    let region = demo_region(DemoScale::SMALL, 3, NOW);
    store
        .create_region(&RegionInfo {
            id: "lipetsk-demo".into(),
            name: "Липецкая область (демо)".into(),
            timezone: "Europe/Moscow".into(),
        })
        .await
        .unwrap();
    store.load_region(&region, &|_, _| {}).await.unwrap();
    let mut staff: Vec<u64> = store
        .active_employees(&(1..=200).collect::<Vec<_>>())
        .await
        .unwrap()
        .into_iter()
        .collect();
    staff.sort_unstable();
    (store, staff)
}

fn catalogue(version: &str, deadline_days: u32) -> Catalogue {
    Catalogue {
        version: version.into(),
        categories: vec![Category {
            code: "roads.pothole".into(),
            title: "Яма на дороге".into(),
            topic: "roads".into(),
            keywords: vec!["яма".into()],
            phrases: vec![],
            urgency: Urgency::High,
            impact: Impact::Street,
            deadline_days: Some(deadline_days),
        }],
        authorities: vec![Authority {
            code: "lipetsk".into(),
            title: "Администрация г. Липецка".into(),
            topics: vec!["roads".into()],
            territories: vec!["lipetsk".into()],
        }],
        territories: vec![],
    }
}

fn pothole(lat: f64, lon: f64) -> NewAppeal {
    NewAppeal {
        channel: "open311:dobrodel".into(),
        service_code: Some("roads.pothole".into()),
        text: "Глубокая яма у дома 5".into(),
        place: Some(Place {
            lat,
            lon,
            address: Some("ул. Ленина, 5".into()),
        }),
        territory: Some("lipetsk".into()),
        applicant_email: Some("ivanov@example.ru".into()),
        received_at: NOW,
        ..NewAppeal::default()
    }
}

fn routing(category: Option<&str>, merge: Option<u64>) -> Routing {
    Routing {
        classification: Classification {
            category: category.map(str::to_string),
            catalogue_version: "2026.1".into(),
            urgency: Urgency::High,
            impact: Impact::Street,
            confidence: if category.is_some() { 0.9 } else { 0.0 },
        },
        authority: category.map(|_| "lipetsk".to_string()),
        deadline_days: 30,
        merge_candidates: merge
            .map(|incident| MergeCandidate {
                incident,
                distance_m: Some(30.0),
                reason: "та же категория, 30 м".into(),
            })
            .into_iter()
            .collect(),
        needs_review: category.is_none(),
        trace: vec![],
    }
}

async fn appeal_tasks(store: &Store, assignee: u64) -> Vec<zemstvo_store::tasks::StoredTask> {
    store
        .tasks(&TaskFilter {
            plugin: Some(TASK_SOURCE.into()),
            assignee: Some(assignee),
            ..TaskFilter::default()
        })
        .await
        .unwrap()
}

async fn an_appeal_goes_from_intake_to_a_root_cause(db: TestDatabase) {
    let (store, staff) = region_store(&db).await;
    let (executor, curator, first_line) = (staff[0], staff[1], staff[2]);
    let policy = RoutingPolicy {
        first_line: Some(first_line),
    };
    store
        .load_appeal_catalogue(&catalogue("2026.1", 30), "test")
        .await
        .unwrap();
    // The same version with another content would change what old appeals mean: refused.
    let refused = store
        .load_appeal_catalogue(&catalogue("2026.1", 10), "test")
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    assert_eq!(
        store.appeal_catalogue().await.unwrap().unwrap(),
        catalogue("2026.1", 30).into()
    );
    store
        .set_appeal_authority("lipetsk", executor, Some(curator))
        .await
        .unwrap();

    // Two appeals about one pothole, ~30 m apart.
    let first = store.file_appeal(&pothole(52.6031, 39.5708)).await.unwrap();
    let second = store.file_appeal(&pothole(52.6034, 39.5710)).await.unwrap();
    let waiting = store.appeals_to_route(10).await.unwrap();
    assert_eq!(
        waiting.iter().map(|a| a.id).collect::<Vec<_>>(),
        [first, second]
    );
    assert_eq!(
        waiting[0].place.as_ref().unwrap().address.as_deref(),
        Some("ул. Ленина, 5")
    );

    let routed = store
        .apply_routing(
            first,
            &routing(Some("roads.pothole"), None),
            "router@1.0.0",
            "r-1",
            policy,
            NOW,
        )
        .await
        .unwrap();
    let Routed::NewIncident { incident } = routed else {
        panic!("{routed:?}");
    };
    // Routing an appeal twice (another host got there first) changes nothing.
    let again = store
        .apply_routing(
            first,
            &routing(Some("roads.pothole"), None),
            "router@1.0.0",
            "r-1",
            policy,
            NOW,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    let near = store.open_incidents_for(&waiting[1]).await.unwrap();
    assert_eq!(near.len(), 1);
    assert_eq!(near[0].id, incident);
    assert_eq!(near[0].appeals, 1);
    let merged = store
        .apply_routing(
            second,
            &routing(Some("roads.pothole"), Some(incident)),
            "router@1.0.0",
            "r-2",
            policy,
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(merged, Routed::Merged { incident });
    assert_eq!(store.incident(incident).await.unwrap().appeals, 2);
    let tasks = appeal_tasks(&store, executor).await;
    assert_eq!(tasks.len(), 1, "one task per incident, not per appeal");
    assert_eq!(tasks[0].overseer, Some(curator));
    assert_eq!(tasks[0].due, Some(NOW + 30 * DAY));
    let row = store.appeal(second).await.unwrap();
    assert_eq!(row.status, "assigned");
    assert_eq!(row.incident_id, Some(incident));
    assert_eq!(row.catalogue_version.as_deref(), Some("2026.1"));

    // The executor answers: both appeals wait for their applicants' verdicts.
    store
        .answer_incident(
            incident,
            "Яма заделана 3 декабря",
            "user:executor",
            NOW + 5 * DAY,
        )
        .await
        .unwrap();
    assert_eq!(
        appeal_tasks(&store, executor).await[0].status,
        TaskStatus::Done
    );
    assert_eq!(
        store.appeal(first).await.unwrap().answer.as_deref(),
        Some("Яма заделана 3 декабря")
    );
    let refused = store
        .appeal_verdict(first, true, Some(6), None, "applicant", NOW + 6 * DAY)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    store
        .appeal_verdict(first, true, Some(5), None, "applicant", NOW + 6 * DAY)
        .await
        .unwrap();
    assert_eq!(store.appeal(first).await.unwrap().status, "closed");
    assert_eq!(store.incident(incident).await.unwrap().status, "answered");

    // The second applicant disagrees: reopened to the executor, the curator watching.
    store
        .appeal_verdict(
            second,
            false,
            Some(1),
            Some("яма осталась"),
            "applicant",
            NOW + 7 * DAY,
        )
        .await
        .unwrap();
    assert_eq!(store.appeal(second).await.unwrap().status, "reopened");
    assert_eq!(store.incident(incident).await.unwrap().status, "reopened");
    let executor_tasks = appeal_tasks(&store, executor).await;
    assert_eq!(executor_tasks.len(), 2);
    assert!(executor_tasks.iter().any(|t| t.status == TaskStatus::New
        && t.overseer == Some(curator)
        && t.description.contains("яма осталась")));
    let control = appeal_tasks(&store, curator).await;
    assert_eq!(control.len(), 1, "{control:?}");
    assert!(control[0].title.contains("На контроле"));

    // Three days before the (reopened) deadline the executor is reminded, once.
    let due = store.incident(incident).await.unwrap().due_at;
    assert_eq!(
        store
            .remind_due_incidents(due - 2 * DAY, 3 * DAY)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .remind_due_incidents(due - DAY, 3 * DAY)
            .await
            .unwrap(),
        0
    );
    let reminded = appeal_tasks(&store, executor)
        .await
        .into_iter()
        .find(|t| t.status == TaskStatus::New)
        .unwrap();
    assert_eq!(reminded.priority, "urgent");
    let comments = store.task_comments(reminded.id).await.unwrap();
    assert!(comments[0].body.contains("Напоминание"), "{comments:?}");

    // Past its deadline: one root-cause record (and one curator's task), once.
    let later = NOW + 60 * DAY;
    assert_eq!(store.open_root_causes(later).await.unwrap(), 1);
    assert_eq!(store.open_root_causes(later).await.unwrap(), 0);
    assert_eq!(appeal_tasks(&store, curator).await.len(), 2);
    let request = store
        .record_root_cause(
            incident,
            "Покрытие разрушено по всей длине улицы",
            Some((
                "Капитальный ремонт ул. Ленина",
                "Заменить покрытие на 300 м",
            )),
            "user:curator",
        )
        .await
        .unwrap();
    assert!(request.is_some());

    // An appeal the router cannot classify goes to the first-line specialist.
    let unclear = store
        .file_appeal(&NewAppeal {
            text: "Просто хочу сказать спасибо".into(),
            place: None,
            ..pothole(0.0, 0.0)
        })
        .await
        .unwrap();
    let review = store
        .apply_routing(
            unclear,
            &routing(None, None),
            "router@1.0.0",
            "r-3",
            policy,
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(review, Routed::Review);
    assert_eq!(store.appeal(unclear).await.unwrap().status, "review");
    assert_eq!(appeal_tasks(&store, first_line).await.len(), 1);
    let history = store.appeal_history(unclear).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.status.as_str())
            .collect::<Vec<_>>(),
        ["received", "review"]
    );
    assert!(
        history[1]
            .note
            .as_deref()
            .unwrap()
            .contains("категория не определена")
    );

    // The specialist corrects it; a category outside the catalogue changes nothing.
    let wrong = Correction {
        category: "roads.potholes".into(),
        authority: "lipetsk".into(),
        urgency: None,
        merge_into: None,
    };
    let refused = store
        .correct_appeal(unclear, &wrong, "user:first-line", NOW)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    assert_eq!(store.appeal(unclear).await.unwrap().status, "review");
    let right = Correction {
        category: "roads.pothole".into(),
        merge_into: Some(incident),
        ..wrong
    };
    let corrected = store
        .correct_appeal(unclear, &right, "user:first-line", NOW + DAY)
        .await
        .unwrap();
    assert_eq!(corrected, Routed::Merged { incident });
    assert_eq!(
        appeal_tasks(&store, first_line).await[0].status,
        TaskStatus::Done
    );
    let history = store.appeal_history(unclear).await.unwrap();
    assert!(history.iter().any(|h| {
        h.status == "corrected"
            && h.actor == "user:first-line"
            && h.note
                .as_deref()
                .unwrap()
                .contains("не определена → roads.pothole")
    }));
    let again = store
        .correct_appeal(unclear, &right, "user:first-line", NOW)
        .await;
    assert!(matches!(again, Err(StoreError::Invalid(_))), "{again:?}");

    // Listing with the Open311 filters.
    let open = store
        .appeals(&AppealFilter {
            statuses: vec!["assigned".into(), "reopened".into()],
            limit: 100,
            ..AppealFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        open.iter().map(|a| a.id).collect::<Vec<_>>(),
        [unclear, second]
    );

    let report = store.appeal_report(later).await.unwrap();
    assert_eq!(
        (
            report.appeals,
            report.incidents,
            report.merged,
            report.in_review
        ),
        (3, 1, 2, 0)
    );
    assert_eq!((report.closed, report.reopened, report.overdue), (1, 1, 1));
    assert_eq!((report.root_causes, report.change_requests), (1, 1));
    let roads = report
        .by_category
        .iter()
        .find(|f| f.key == "roads.pothole")
        .unwrap();
    assert_eq!((roads.appeals, roads.answered, roads.reopened), (3, 3, 1));
    assert_eq!(roads.mean_rating, Some(3.0));
}

on_both_databases!(appeal_lifecycle, an_appeal_goes_from_intake_to_a_root_cause);

async fn a_bad_catalogue_changes_nothing(db: TestDatabase) {
    let store = db.store().await;
    let mut bad = catalogue("2026.1", 30);
    bad.categories.push(bad.categories[0].clone());
    let refused = store.load_appeal_catalogue(&bad, "test").await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid(why)) if why.contains("twice")),
        "{refused:?}"
    );
    let mut bad = catalogue("2026.1", 30);
    bad.categories[0].deadline_days = Some(0);
    assert!(store.load_appeal_catalogue(&bad, "test").await.is_err());
    assert_eq!(store.appeal_catalogue().await.unwrap(), None);
    store
        .load_appeal_catalogue(&catalogue("2026.1", 30), "test")
        .await
        .unwrap();
    store
        .load_appeal_catalogue(&catalogue("2026.2", 20), "test")
        .await
        .unwrap();
    assert_eq!(
        store.appeal_catalogue().await.unwrap().unwrap().version,
        "2026.2"
    );
    // Going back to a version already loaded only makes it active again.
    store
        .load_appeal_catalogue(&catalogue("2026.1", 30), "test")
        .await
        .unwrap();
    assert_eq!(
        store.appeal_catalogue().await.unwrap().unwrap().version,
        "2026.1"
    );
    // Another host's store read 2026.1 and kept it; when this one activates 2026.2 the other
    // reads the new version on its next call, never its kept one.
    let other = db.store().await;
    assert_eq!(
        other.appeal_catalogue().await.unwrap().unwrap().version,
        "2026.1"
    );
    store
        .load_appeal_catalogue(&catalogue("2026.2", 20), "test")
        .await
        .unwrap();
    let now_active = other.appeal_catalogue().await.unwrap().unwrap();
    assert_eq!(*now_active, catalogue("2026.2", 20));
}

on_both_databases!(catalogue_checks, a_bad_catalogue_changes_nothing);
