//! Citizens' appeals through the staff API over real HTTP, on SQLite and PostgreSQL: a
//! catalogue and a staffed authority, one appeal the router routed and one it left for review;
//! the first-line specialist classifies the second into the first's incident, the executor
//! answers, the applicant rejects one answer (the incident reopens under the curator) and
//! accepts the other, a curator records the root cause, and the report counts it all. Each
//! role gets only what the policy gives it, and bad input is a problem naming its field with
//! nothing changed.

mod common;

use common::serve;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zemstvo_core::appeals::{
    Authority, Catalogue, Category, Classification, Impact, Place, Routing, Urgency,
};
use zemstvo_store::Store;
use zemstvo_store::appeals::{NewAppeal, Routed, RoutingPolicy, TASK_SOURCE};
use zemstvo_store::on_both_databases;
use zemstvo_store::tasks::TaskFilter;
use zemstvo_store::testing::TestDatabase;

const ALL: [&str; 4] = ["admin", "manager", "employee", "auditor"];

fn catalogue() -> Catalogue {
    let category = |code: &str, title: &str, topic: &str| Category {
        code: code.into(),
        title: title.into(),
        topic: topic.into(),
        keywords: vec![],
        phrases: vec![],
        urgency: Urgency::High,
        impact: Impact::Street,
        deadline_days: Some(10),
    };
    Catalogue {
        version: "2026.1".into(),
        categories: vec![
            category("roads.pothole", "Яма на дороге", "roads"),
            category("yards.lighting", "Не горит фонарь", "lighting"),
        ],
        authorities: vec![
            Authority {
                code: "lipetsk".into(),
                title: "Администрация г. Липецка".into(),
                topics: vec!["roads".into(), "lighting".into()],
                territories: vec!["lipetsk".into()],
            },
            Authority {
                code: "unstaffed".into(),
                title: "Орган без исполнителя".into(),
                topics: vec!["roads".into()],
                territories: vec![],
            },
        ],
        territories: vec![],
    }
}

fn appeal(text: &str, lat: f64, at: i64) -> NewAppeal {
    NewAppeal {
        channel: "open311:dobrodel".into(),
        service_code: Some("roads.pothole".into()),
        text: text.into(),
        place: Some(Place {
            lat,
            lon: 39.6,
            address: Some("ул. Ленина, 5".into()),
        }),
        territory: Some("lipetsk".into()),
        applicant_name: Some("Иванов Иван".into()),
        applicant_email: Some("ivanov@example.ru".into()),
        applicant_phone: Some("+7 900 000-00-00".into()),
        received_at: at,
        ..NewAppeal::default()
    }
}

fn routing(category: Option<&str>) -> Routing {
    Routing {
        classification: Classification {
            category: category.map(str::to_string),
            catalogue_version: "2026.1".into(),
            urgency: Urgency::High,
            impact: Impact::Street,
            confidence: if category.is_some() { 0.9 } else { 0.2 },
        },
        authority: category.map(|_| "lipetsk".to_string()),
        deadline_days: 10,
        merge_candidates: vec![],
        needs_review: category.is_none(),
        trace: vec![],
    }
}

/// The catalogue, the authority staffed by the test employee (curated by their manager), and
/// two appeals: `routed` opened an incident, `review` waits for the first-line specialist.
async fn seed(store: &Store, executor: u64, curator: u64) -> (u64, u64, u64) {
    store
        .load_appeal_catalogue(&catalogue(), "test")
        .await
        .unwrap();
    store
        .set_appeal_authority("lipetsk", executor, Some(curator))
        .await
        .unwrap();
    let at = zemstvo_web::unix_now() - 3_600;
    let policy = RoutingPolicy {
        first_line: Some(executor),
    };
    let routed = store
        .file_appeal(&appeal("Глубокая яма у дома 5", 52.6, at))
        .await
        .unwrap();
    let incident = match store
        .apply_routing(
            routed,
            &routing(Some("roads.pothole")),
            "router@1.0.0",
            "run-1",
            policy,
            at,
        )
        .await
        .unwrap()
    {
        Routed::NewIncident { incident } => incident,
        other => panic!("{other:?}"),
    };
    let review = store
        .file_appeal(&appeal("Что-то с дорогой у пятого дома", 52.6001, at))
        .await
        .unwrap();
    assert_eq!(
        store
            .apply_routing(review, &routing(None), "router@1.0.0", "run-1", policy, at)
            .await
            .unwrap(),
        Routed::Review
    );
    (routed, review, incident)
}

async fn appeals_from_review_to_report(db: TestDatabase) {
    let s = serve(db).await;
    let store = s.db.store().await;
    let (routed, review, incident) = seed(&store, s.employee, s.manager).await;

    // Every staff role reads the queue; nobody without a credential does.
    for role in ALL {
        let (status, list) = s.call(role, Method::GET, "/api/v1/appeals", None).await;
        assert_eq!(status, StatusCode::OK, "{role}: {list}");
        assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    }
    let (status, _) = s
        .call(None::<&str>, Method::GET, "/api/v1/appeals", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // No applicant's name or contacts reach the API.
    let (_, list) = s
        .call("admin", Method::GET, "/api/v1/appeals?status=review", None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], review);
    let text = list.to_string();
    for personal in ["Иванов", "ivanov@", "+7 900"] {
        assert!(!text.contains(personal), "{text}");
    }
    for bad in ["/api/v1/appeals?status=lost", "/api/v1/appeals?limit=0"] {
        let (status, problem) = s.call("admin", Method::GET, bad, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
    }

    // Refused classifications name their field and change nothing.
    let classify = format!("/api/v1/appeals/{review}/classification");
    let history_before = store.appeal_history(review).await.unwrap().len();
    let audit_before = s.audit_entries().await;
    for (body, field) in [
        (
            json!({"category": "no.such", "authority": "lipetsk"}),
            "category",
        ),
        (
            json!({"category": "roads.pothole", "authority": "nobody"}),
            "authority",
        ),
        (
            json!({"category": "roads.pothole", "authority": "unstaffed"}),
            "authority",
        ),
        (
            json!({"category": "roads.pothole", "authority": "lipetsk", "merge_into": 99_999}),
            "merge_into",
        ),
        (
            json!({"category": "yards.lighting", "authority": "lipetsk", "merge_into": incident}),
            "merge_into",
        ),
    ] {
        let (status, problem) = s
            .call("employee", Method::POST, &classify, Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let (status, problem) = s
        .call(
            "employee",
            Method::POST,
            &classify,
            Some(json!({"category": "roads.pothole", "authority": "lipetsk", "colour": "red"})),
        )
        .await;
    assert!(status.is_client_error(), "{status} {problem}");
    for role in ["manager", "auditor"] {
        let (status, _) = s
            .call(
                role,
                Method::POST,
                &classify,
                Some(json!({"category": "roads.pothole", "authority": "lipetsk"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(store.appeal(review).await.unwrap().status, "review");
    assert_eq!(
        store.appeal_history(review).await.unwrap().len(),
        history_before
    );
    assert_eq!(s.audit_entries().await, audit_before);

    // The first-line specialist joins it to the incident of the same pothole.
    let (status, classified) = s
        .call(
            "employee",
            Method::POST,
            &classify,
            Some(json!({"category": "roads.pothole", "authority": "lipetsk", "urgency": "critical", "merge_into": incident})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{classified}");
    assert_eq!(classified["outcome"], "merged");
    assert_eq!(classified["incident_id"], incident);
    assert_eq!(
        s.audit_entries().await,
        audit_before + 1,
        "the correction is audited"
    );
    let (status, _) = s
        .call(
            "employee",
            Method::POST,
            &classify,
            Some(json!({"category": "roads.pothole", "authority": "lipetsk"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "classified once");
    let (status, detail) = s
        .call(
            "auditor",
            Method::GET,
            &format!("/api/v1/appeals/{review}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["appeal"]["status"], "assigned");
    assert_eq!(detail["appeal"]["category"], "roads.pothole");
    assert_eq!(detail["appeal"]["urgency"], "critical");
    // The router's proposal stays beside the correction.
    assert_eq!(
        detail["appeal"]["routing"]["needs_review"], true,
        "{detail}"
    );
    assert_eq!(detail["incident"]["id"], incident);
    assert_eq!(detail["incident"]["appeals"], 2);
    let statuses: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"corrected"), "{statuses:?}");
    let (status, _) = s
        .call("admin", Method::GET, "/api/v1/appeals/99999", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The executor answers; an auditor may not, a blank answer is refused.
    let answer = format!("/api/v1/incidents/{incident}/answer");
    let (status, _) = s
        .call(
            "auditor",
            Method::POST,
            &answer,
            Some(json!({"answer": "Заделали"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = s
        .call(
            "employee",
            Method::POST,
            &answer,
            Some(json!({"answer": "  "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "answer");
    let (status, _) = s
        .call(
            "employee",
            Method::POST,
            "/api/v1/incidents/99999/answer",
            Some(json!({"answer": "Заделали"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(store.incident(incident).await.unwrap().status, "open");
    let (status, answered) = s
        .call(
            "employee",
            Method::POST,
            &answer,
            Some(json!({"answer": "Яму заделали 3 декабря."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["status"], "answered");
    for id in [routed, review] {
        assert_eq!(store.appeal(id).await.unwrap().status, "answered");
    }
    let audit = store
        .audit_log(Some(&format!("incident/{incident}")), 10)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "appeals.answer" && e.actor == "user:employee"),
        "{audit:?}"
    );
    let (status, _) = s
        .call(
            "employee",
            Method::POST,
            &answer,
            Some(json!({"answer": "Ещё раз"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "answered once");

    // The applicant's verdict: only the channel system's administrator account gives it.
    let verdict = |id: u64| format!("/api/v1/appeals/{id}/verdict");
    for role in ["manager", "employee", "auditor"] {
        let (status, _) = s
            .call(
                role,
                Method::POST,
                &verdict(routed),
                Some(json!({"accepted": true})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    let (status, problem) = s
        .call(
            "admin",
            Method::POST,
            &verdict(routed),
            Some(json!({"accepted": true, "rating": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "rating");
    assert_eq!(store.appeal(routed).await.unwrap().status, "answered");
    let (status, reopened) = s
        .call(
            "admin",
            Method::POST,
            &verdict(routed),
            Some(json!({"accepted": false, "rating": 2, "comment": "Яма осталась"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    assert_eq!(reopened["status"], "reopened");
    assert_eq!(reopened["verdict"], "rejected");
    assert_eq!(store.incident(incident).await.unwrap().status, "reopened");
    let audit = store
        .audit_log(Some(&format!("appeal/{routed}")), 10)
        .await
        .unwrap();
    assert!(
        audit.iter().any(|e| e.action == "appeals.verdict"),
        "{audit:?}"
    );
    // The executor has the incident again, and the curator a control task.
    let tasks = |assignee: u64| {
        let store = store.clone();
        async move {
            store
                .tasks(&TaskFilter {
                    plugin: Some(TASK_SOURCE.into()),
                    assignee: Some(assignee),
                    ..TaskFilter::default()
                })
                .await
                .unwrap()
        }
    };
    assert!(
        tasks(s.employee)
            .await
            .iter()
            .any(|t| t.title.starts_with("Повторно")),
        "{:?}",
        tasks(s.employee).await
    );
    assert!(
        tasks(s.manager)
            .await
            .iter()
            .any(|t| t.title.starts_with("На контроле")),
        "{:?}",
        tasks(s.manager).await
    );
    let (status, _) = s
        .call(
            "admin",
            Method::POST,
            &verdict(routed),
            Some(json!({"accepted": true})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a verdict is given once per answer"
    );
    let (status, closed) = s
        .call(
            "admin",
            Method::POST,
            &verdict(review),
            Some(json!({"accepted": true, "rating": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");

    // A root cause is recorded once the incident is overdue (its record opens then), by a
    // curator.
    let root = format!("/api/v1/incidents/{incident}/root-cause");
    let body = json!({
        "finding": "Покрытие разрушено на всём участке",
        "change_request": {"title": "Ремонт ул. Ленина", "description": "Заменить покрытие на 200 м"},
    });
    let (status, _) = s
        .call("employee", Method::POST, &root, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = s
        .call("manager", Method::POST, &root, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "not overdue yet: {problem}");
    let (status, problem) = s
        .call("manager", Method::POST, &root, Some(json!({"finding": ""})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "finding");
    assert_eq!(
        store
            .open_root_causes(zemstvo_web::unix_now() + 365 * 86_400)
            .await
            .unwrap(),
        1
    );
    let (status, recorded) = s.call("manager", Method::POST, &root, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{recorded}");
    assert!(
        recorded["change_request_id"].as_u64().is_some(),
        "{recorded}"
    );

    // The report: managers, administrators and auditors.
    for role in ALL {
        let (status, report) = s
            .call(role, Method::GET, "/api/v1/appeals/report", None)
            .await;
        if role == "employee" {
            assert_eq!(status, StatusCode::FORBIDDEN, "{report}");
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{role}: {report}");
        assert_eq!(report["appeals"], 2, "{report}");
        assert_eq!(report["incidents"], 1, "{report}");
        assert_eq!(report["merged"], 1, "{report}");
        assert_eq!(report["reopened"], 1, "{report}");
        assert_eq!(report["closed"], 1, "{report}");
        assert_eq!(report["root_causes"], 1, "{report}");
        assert_eq!(report["change_requests"], 1, "{report}");
        let pothole = report["by_category"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == "roads.pothole")
            .unwrap_or_else(|| panic!("{report}"));
        assert_eq!(pothole["appeals"], 2, "{pothole}");
        assert_eq!(pothole["reopened"], 1, "{pothole}");
        assert_eq!(pothole["reopened_percent"], 50.0, "{pothole}");
        assert_eq!(pothole["mean_rating"], 3.5, "{pothole}");
        assert!(
            pothole["mean_days_to_answer"].as_f64().is_some(),
            "{pothole}"
        );
    }
}
on_both_databases!(
    appeals_go_from_review_to_report,
    appeals_from_review_to_report
);

/// Every appeals route is in the OpenAPI document, so that the fuzzer reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_appeals_routes_are_documented() {
    let s = serve(TestDatabase::sqlite().await).await;
    let (status, doc) = s
        .call(None::<&str>, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/appeals", "get"),
        ("/api/v1/appeals/report", "get"),
        ("/api/v1/appeals/{id}", "get"),
        ("/api/v1/appeals/{id}/classification", "post"),
        ("/api/v1/appeals/{id}/verdict", "post"),
        ("/api/v1/incidents/{id}/answer", "post"),
        ("/api/v1/incidents/{id}/root-cause", "post"),
    ] {
        let op: &Value = &paths[path][method];
        assert!(op.is_object(), "{method} {path} missing");
        assert!(op["responses"]["422"].is_object(), "{method} {path}");
    }
}
