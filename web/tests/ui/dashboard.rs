//! The dashboard's charts and trends, and the unit's load against the norm, on both databases.

use super::*;

#[tokio::test]
async fn the_dashboard_draws_its_charts_for_auditors_and_managers_only() {
    let site = site().await;
    for login in ["auditor", "manager", "admin"] {
        let browser = site.sign_in(login).await;
        let (status, html) = site.get(&browser, "/dashboard").await;
        assert_eq!(status, StatusCode::OK, "{login}");
        assert!(
            html.contains("<svg class=\"chart\" role=\"img\""),
            "{login}"
        );
        assert!(html.contains(PLUGIN));
        assert!(html.contains("Выставлено задач"));
    }
    // The runs and the audit log: for the roles that may read them.
    let admin = site.sign_in("admin").await;
    let (status, html) = site.get(&admin, &format!("/runs?plugin={PLUGIN}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("успешно") && html.contains(PLUGIN), "{html}");
    let (status, _, _) = site
        .post(&admin, &format!("/plugins/{PLUGIN}/disable"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = site.get(&admin, "/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("user:admin") && html.contains(PLUGIN),
        "{html}"
    );
    let (_, _, _) = site
        .post(&admin, &format!("/plugins/{PLUGIN}/enable"), &[])
        .await;
    let employee = site.sign_in("employee").await;
    for path in ["/runs", "/audit"] {
        let (status, _) = site.get(&employee, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let manager = site.sign_in("manager").await;
    let (status, _) = site.get(&manager, "/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The trust store (administrators and auditors) and the users (administrators).
    let (status, html) = site.get(&admin, "/trust").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("test-vendor"), "{html}");
    let (status, html) = site.get(&admin, "/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<code>auditor</code>") && html.contains("специалист"));
    let auditor = site.sign_in("auditor").await;
    assert_eq!(site.get(&auditor, "/trust").await.0, StatusCode::OK);
    assert_eq!(site.get(&auditor, "/users").await.0, StatusCode::FORBIDDEN);
    assert_eq!(site.get(&manager, "/trust").await.0, StatusCode::FORBIDDEN);

    // Cases: this region has no eligibility rule, so none; an unknown application is a 404.
    let (status, html) = site.get(&manager, "/cases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Решения по заявлениям") && html.contains("Таких заявлений нет"));
    let (status, _) = site.get(&manager, "/cases/424242").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = site.get(&employee, "/cases").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The auditor reads the plugins but is offered no button to change them.
    let auditor = site.sign_in("auditor").await;
    let (status, html) = site.get(&auditor, "/plugins").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/disable\""));
    let (status, _, _) = site
        .post(&auditor, &format!("/plugins/{PLUGIN}/disable"), &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        site.store
            .installation(PLUGIN)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    // The API still answers its own paths with problem documents.
    let response = site
        .client
        .get(format!("{}/api/v1/no-such-thing", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
}

async fn unit_load(db: TestDatabase) {
    let site = site_on(db, false).await;
    // The employee's task is overdue since yesterday.
    let yesterday = zemstvo_web::unix_now() - 86_400;
    execute(
        &site,
        &format!(
            "UPDATE tasks SET due = {yesterday} WHERE id = {}",
            site.own_task
        ),
    )
    .await;
    let browser = site.sign_in("manager").await;
    let (status, html) = site.get(&browser, "/unit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Нагрузка за 30 дней против норматива"),
        "{html}"
    );
    assert!(html.contains("Норматив в месяц"));

    // Each employee's row says what they did against their norm, as the store counts it.
    let now = zemstvo_web::unix_now();
    let period = zemstvo_store::analytics::Period {
        since: now - 30 * 86_400,
        until: now + 1,
    };
    let loads = site
        .store
        .staff_load(&[site.employee, site.colleague], period)
        .await
        .unwrap();
    assert_eq!(loads.len(), 2);
    for load in &loads {
        let row = section(&html, &format!("id=\"load-{}\"", load.employee), "</tr>");
        assert!(load.normative_load > 0, "demo specialists have a norm");
        assert!(
            row.contains(&format!(">{}</td>", load.normative_load)),
            "{row}"
        );
        let done = match load.done % 100 {
            11..=14 => "заявлений",
            _ => match load.done % 10 {
                1 => "заявление",
                2..=4 => "заявления",
                _ => "заявлений",
            },
        };
        assert!(row.contains(&format!("{} {done}", load.done)), "{row}");
        let met = load.done >= load.normative_load;
        assert_eq!(row.contains("норматив выполнен"), met, "{row}");
        assert_eq!(row.contains("ниже норматива"), !met, "{row}");
        assert!(row.contains('%'), "the share of the norm: {row}");
    }
    // The overdue task: counted in the employee's row, marked in their section and listed
    // at the top.
    let row = section(&html, &format!("id=\"load-{}\"", site.employee), "</tr>");
    assert!(row.contains("tag--overdue\">1<"), "{row}");
    let own = section(
        &html,
        &format!("id=\"employee-{}\"", site.employee),
        "</section>",
    );
    assert!(own.contains("1 просрочена"), "{own}");
    assert!(own.contains("class=\"row--overdue\""), "{own}");
    let overdue = section(&html, "Просроченные задачи", "</table>");
    assert!(overdue.contains(&format!("href=\"/tasks/{}\"", site.own_task)));
}

async fn dashboard_trends(db: TestDatabase) {
    let site = site_on(db, false).await;
    let browser = site.sign_in("auditor").await;
    let (status, html) = site.get(&browser, "/dashboard?days=90").await;
    assert_eq!(status, StatusCode::OK);
    // Tasks week by week: a chart and the same numbers in a table.
    let weeks = section(&html, "id=\"weeks\"", "<h2>");
    assert!(
        weeks.contains("<svg class=\"chart chart--columns\""),
        "{weeks}"
    );
    assert!(weeks.contains("<th scope=\"col\">Неделя</th>"));
    let week_rows = weeks.matches("<th scope=\"row\">с ").count();
    assert!(
        (13..=14).contains(&week_rows),
        "90 days are 13 or 14 weeks: {weeks}"
    );
    // SMEV per agency, week by week: all agencies' mean as a chart, each agency in the table.
    let smev_weeks = section(&html, "id=\"smev-weeks\"", "</table>");
    assert!(
        smev_weeks.contains("<svg class=\"chart chart--columns\""),
        "{smev_weeks}"
    );
    assert!(
        smev_weeks.contains("<th scope=\"row\">ФНС</th>")
            || smev_weeks.contains("<th scope=\"row\">СФР</th>"),
        "{smev_weeks}"
    );
    // Each ISU algorithm's share over time; none of them is installed in this region.
    for (id, plugin) in [
        ("returns", "isu-returns-for-revision"),
        ("off-standard", "isu-off-standard-acceptance"),
        ("norm", "isu-home-care-load"),
    ] {
        let effect = section(&html, &format!("id=\"effect-{id}\""), "</section>");
        assert!(
            effect.contains("<svg class=\"chart chart--columns\""),
            "{effect}"
        );
        assert!(
            effect.contains(&format!("Алгоритм {plugin} в регионе не установлен")),
            "{effect}"
        );
        assert!(effect.contains(">Доля</th>"), "{effect}");
    }
    // The returns: the share per week is what the applications say.
    let returns = section(&html, "id=\"effect-returns\"", "</section>");
    assert!(returns.contains("\u{a0}%</td>"), "{returns}");

    // Once an algorithm is enabled, the page says since when, and marks it on the chart;
    // the weeks before it have a share, those after it have no data yet.
    let host_plugin = "isu-home-care-load";
    let db = &site._db;
    let store = db.store().await;
    let runtime = std::sync::Arc::new(
        zemstvo_host::Runtime::new(zemstvo_host::RuntimeSettings::default()).unwrap(),
    );
    let host = zemstvo_service::RegionHost::open(
        store,
        runtime,
        zemstvo_service::HostSettings {
            host_id: "host-b".into(),
            smev: zemstvo_service::SmevSettings::None,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    zemstvo_service::pack_and_install(
        &host,
        zemstvo_plugin_artifacts::reference(host_plugin)
            .unwrap()
            .bytes,
        &zemstvo_registry::VendorId::new("test-vendor").unwrap(),
        &zemstvo_registry::SecretKey::from_seed(&[7; 32]),
        &zemstvo_service::InstallOptions {
            enable: true,
            grant_declared: true,
            actor: "test".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (_, html) = site.get(&browser, "/dashboard?days=30").await;
    let effect = section(&html, "id=\"effect-norm\"", "</section>");
    let today = html_date(zemstvo_web::unix_now());
    assert!(
        effect.contains(&format!("Алгоритм {host_plugin} впервые включён {today}")),
        "{effect}"
    );
    assert!(effect.contains("chart__marker") && effect.contains(&format!("включён {today}")));
    assert!(
        effect.contains("данных после включения ещё нет"),
        "{effect}"
    );
    // The weeks wholly before it (all but the last, the week it was enabled in) have a
    // share when any of them has one. (The region's records are from `NOW`: as the clock moves
    // on, the 30 days shown may hold none.)
    let before = section(effect, "До включения", "</div>");
    let rows: Vec<&str> = section(effect, "<tbody>", "</tbody>")
        .split("<tr>")
        .collect();
    let shares_before = rows[..rows.len() - 1]
        .iter()
        .any(|row| row.contains("\u{a0}%</td>"));
    assert_eq!(
        before.contains('%'),
        shares_before,
        "the weeks before have a share: {before}"
    );
    assert!(
        shares_before || zemstvo_web::unix_now() > NOW + 21 * 86_400,
        "the demo's visits fall in the 30 days shown"
    );
}

// The unit's load and the dashboard's weekly figures are the store's own SQL: both dialects.
zemstvo_store::on_both_databases!(
    the_unit_shows_each_employees_load_against_the_norm_and_their_overdue_tasks,
    unit_load
);
zemstvo_store::on_both_databases!(
    the_dashboard_shows_weekly_trends_and_each_algorithms_effect_before_and_after,
    dashboard_trends
);
