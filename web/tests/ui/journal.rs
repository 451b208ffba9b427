//! The runs page: a run's outcome and log, a refused run explained in Russian.

use super::*;

#[tokio::test]
async fn a_runs_page_shows_its_outcome_and_log_and_a_refused_run_says_why_in_russian() {
    let site = site().await;
    let admin = site.sign_in("admin").await;
    let (_, html) = site.get(&admin, &format!("/runs?plugin={PLUGIN}")).await;
    let id = html
        .split("href=\"/runs/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the runs link to their pages")
        .to_string();
    let (status, html) = site.get(&admin, &format!("/runs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("Запуск алгоритма {PLUGIN}")),
        "{html}"
    );
    assert!(html.contains("успешно") && html.contains("Журнал запуска"));
    assert!(html.contains("Проверено:") && html.contains("Прочитано записей"));

    // A package that no longer verifies: its run is refused, and the page says why.
    let installation = site.store.installation(PLUGIN).await.unwrap().unwrap();
    site.store
        .tamper_component_for_tests(&installation.sha256)
        .await
        .unwrap();
    site.store
        .enqueue_run(PLUGIN, "manual", NOW + 60, 0)
        .await
        .unwrap();
    let db = &site._db;
    let runtime = std::sync::Arc::new(
        zemstvo_host::Runtime::new(zemstvo_host::RuntimeSettings::default()).unwrap(),
    );
    let host = zemstvo_service::RegionHost::open(
        db.store().await,
        runtime,
        zemstvo_service::HostSettings {
            host_id: "host-b".into(),
            smev: zemstvo_service::SmevSettings::None,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let outcome = host.runs().run_next().await.unwrap().unwrap();
    assert!(!outcome.report.succeeded());
    let (_, html) = site.get(&admin, &format!("/runs?plugin={PLUGIN}")).await;
    assert!(html.contains("не удался"), "{html}");
    let (status, html) = site
        .get(&admin, &format!("/runs/{}", outcome.report.run_id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Запуск не удался"), "{html}");
    assert!(
        html.contains("Регион отказался загрузить пакет алгоритма"),
        "{html}"
    );
    assert!(html.contains("ничего из этого не сохранено"));

    // Unknown runs are not found; roles without the runs are refused.
    assert_eq!(
        site.get(&admin, "/runs/no-such-run").await.0,
        StatusCode::NOT_FOUND
    );
    let employee = site.sign_in("employee").await;
    assert_eq!(
        site.get(&employee, &format!("/runs/{id}")).await.0,
        StatusCode::FORBIDDEN
    );
}
