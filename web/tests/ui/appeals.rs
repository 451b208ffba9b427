//! The appeals pages: the list with its filter, an appeal in review classified by the
//! first-line specialist (a form without a category is refused and changes nothing), the
//! executor's answer, and the appeals section of the dashboard.

use reqwest::StatusCode;
use zemstvo_core::appeals::{
    Authority, Catalogue, Category, Classification, Impact, Place, Routing, Urgency,
};
use zemstvo_store::appeals::{NewAppeal, RoutingPolicy};

use super::{assert_refused, site};

fn catalogue() -> Catalogue {
    Catalogue {
        version: "2026.1".into(),
        categories: vec![Category {
            code: "roads.pothole".into(),
            title: "Яма на дороге".into(),
            topic: "roads".into(),
            keywords: vec![],
            phrases: vec![],
            urgency: Urgency::High,
            impact: Impact::Street,
            deadline_days: Some(10),
        }],
        authorities: vec![Authority {
            code: "lipetsk".into(),
            title: "Администрация г. Липецка".into(),
            topics: vec!["roads".into()],
            territories: vec![],
        }],
        territories: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_specialist_classifies_an_appeal_and_the_executor_answers_it() {
    let site = site().await;
    let store = &site.store;
    store
        .load_appeal_catalogue(&catalogue(), "test")
        .await
        .unwrap();
    store
        .set_appeal_authority("lipetsk", site.employee, None)
        .await
        .unwrap();
    let at = zemstvo_web::unix_now() - 3_600;
    let id = store
        .file_appeal(&NewAppeal {
            channel: "open311:dobrodel".into(),
            text: "Яма у <b>дома</b> 5".into(),
            place: Some(Place {
                lat: 52.6,
                lon: 39.6,
                address: Some("ул. Ленина, 5".into()),
            }),
            territory: Some("lipetsk".into()),
            applicant_email: Some("ivanov@example.ru".into()),
            received_at: at,
            ..NewAppeal::default()
        })
        .await
        .unwrap();
    let unsure = Routing {
        classification: Classification {
            category: None,
            catalogue_version: "2026.1".into(),
            urgency: Urgency::Medium,
            impact: Impact::Street,
            confidence: 0.2,
        },
        authority: None,
        deadline_days: 10,
        merge_candidates: vec![],
        needs_review: true,
        trace: vec![],
    };
    let policy = RoutingPolicy {
        first_line: Some(site.employee),
    };
    store
        .apply_routing(id, &unsure, "router@1.0.0", "run-1", policy, at)
        .await
        .unwrap();

    let employee = site.sign_in("employee").await;
    let (status, list) = site.get(&employee, "/appeals?status=review").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        list.contains("href=\"/appeals\""),
        "the menu links the appeals"
    );
    assert!(list.contains(&format!("href=\"/appeals/{id}\"")), "{list}");
    assert!(list.contains("На проверке"), "{list}");
    let (_, page) = site.get(&employee, &format!("/appeals/{id}")).await;
    // The text is escaped, the contacts are not shown, the proposal is.
    assert!(
        page.contains("Яма у &lt;b&gt;дома&lt;&#x2f;b&gt; 5"),
        "{page}"
    );
    assert!(!page.contains("ivanov@"), "{page}");
    assert!(page.contains("router@1.0.0"), "{page}");
    assert!(page.contains("<option value=\"roads.pothole\">"), "{page}");

    // Without a category: refused, said twice, nothing changed.
    let path = format!("/appeals/{id}/classification");
    let (status, _, html) = site
        .post(
            &employee,
            &path,
            &[("category", ""), ("authority", "lipetsk")],
        )
        .await;
    assert_refused(
        status,
        &html,
        "Выберите категорию из классификатора",
        "<option value=\"lipetsk\" selected>",
    );
    assert_eq!(store.appeal(id).await.unwrap().status, "review");
    let (status, to, _) = site
        .post(
            &employee,
            &path,
            &[
                ("category", "roads.pothole"),
                ("authority", "lipetsk"),
                ("urgency", ""),
                ("merge_into", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("/appeals/{id}?done=classified"));
    let (_, page) = site.get(&employee, &to).await;
    assert!(page.contains("Обращение классифицировано"), "{page}");
    assert!(
        page.contains("name=\"answer\""),
        "the executor may answer: {page}"
    );

    // A blank answer is refused; a real one reaches the appeal.
    let answer = format!("/appeals/{id}/answer");
    let (status, _, html) = site.post(&employee, &answer, &[("answer", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        html.matches("Напишите ответ заявителям").count(),
        2,
        "{html}"
    );
    let (status, to, _) = site
        .post(&employee, &answer, &[("answer", "Яму заделали.")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = site.get(&employee, &to).await;
    assert!(page.contains("Ответ отправлен заявителям."), "{page}");
    assert!(page.contains("Яму заделали."), "{page}");
    assert_eq!(store.appeal(id).await.unwrap().status, "answered");

    // The dashboard's section counts it, by category with its title.
    let manager = site.sign_in("manager").await;
    let (status, dashboard) = site.get(&manager, "/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(dashboard.contains("Обращения граждан"), "{dashboard}");
    assert!(
        dashboard.contains("Яма на дороге (roads.pothole)"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("appeals-days-chart-title"),
        "{dashboard}"
    );
}
