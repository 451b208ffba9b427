//! The administrator's plugins: disable and enable, the configuration form, grants and schedule.

use super::*;

#[tokio::test]
async fn an_administrator_disables_and_enables_a_plugin_and_its_form_refuses_out_of_range() {
    let site = site_with(true).await;
    let browser = site.sign_in("admin").await;
    // Without tasks of their own, an administrator starts at the plugins.
    let response = site
        .client
        .get(format!("{}/", site.base))
        .header("cookie", &browser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/plugins");
    let (status, html) = site.get(&browser, "/plugins").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(PLUGIN));
    assert!(html.contains("Подпись") && html.contains("Следующий запуск"));
    assert!(html.contains("Включён"));
    assert!(html.contains("tasks.create"));

    let (status, to, _) = site
        .post(&browser, &format!("/plugins/{PLUGIN}/disable"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = site.get(&browser, &to).await;
    assert!(html.contains(&format!("Алгоритм {PLUGIN} выключен")));
    let row = html
        .split(&format!("id=\"plugin-{PLUGIN}\""))
        .nth(1)
        .unwrap();
    let row = row.split("</tr>").next().unwrap();
    assert!(
        row.contains("Выключен") && row.contains("не запланирован"),
        "{row}"
    );
    assert!(
        !site
            .store
            .installation(PLUGIN)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    let (status, _, _) = site
        .post(&browser, &format!("/plugins/{PLUGIN}/enable"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        site.store
            .installation(PLUGIN)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );

    // The configuration form is generated from the schema; an out-of-range value comes back
    // with its message by the field and at the top, as typed, and nothing is saved.
    let path = format!("/plugins/{PLUGIN}");
    let (status, html) = site.get(&browser, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"cfg-max-wait-days\""));
    assert!(html.contains("Допустимо от 1 до 60"));
    let revision = html
        .split("name=\"revision\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let before = site.store.config(PLUGIN).await.unwrap();
    let (status, _, html) = site
        .post(
            &browser,
            &format!("{path}/config"),
            &[("revision", &revision), ("cfg-max-wait-days", "99")],
        )
        .await;
    assert_refused(status, &html, "Введите число от 1 до 60", "value=\"99\"");
    assert_eq!(site.store.config(PLUGIN).await.unwrap(), before);
    let (status, _, html) = site
        .post(
            &browser,
            &format!("{path}/config"),
            &[("revision", &revision), ("cfg-max-wait-days", "много")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Введите целое число"));
    let (status, to, _) = site
        .post(
            &browser,
            &format!("{path}/config"),
            &[("revision", &revision), ("cfg-max-wait-days", "7")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a stale revision? the enable above bumped it"
    );
    let (_, html) = site.get(&browser, &to).await;
    assert!(html.contains("Настройки сохранены"));
    assert!(
        site.store
            .config(PLUGIN)
            .await
            .unwrap()
            .contains(&("max-wait-days".to_string(), "7".to_string()))
    );

    // Pin, a refused rollback (one version only) shown on the page, unpin.
    let (status, to, _) = site.post(&browser, &format!("{path}/pin"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = site.get(&browser, &to).await;
    assert!(html.contains("Версия закреплена: обновления и откаты не выполняются"));
    assert!(
        site.store
            .installation(PLUGIN)
            .await
            .unwrap()
            .unwrap()
            .pinned
    );
    let (status, _, html) = site.post(&browser, &format!("{path}/rollback"), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Откат не выполнен"), "{html}");
    let (status, _, _) = site.post(&browser, &format!("{path}/unpin"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        !site
            .store
            .installation(PLUGIN)
            .await
            .unwrap()
            .unwrap()
            .pinned
    );

    // Effective-dated parameters: an entry without its act is refused by the field, nothing
    // kept; with one, it is in the history.
    let path = format!("/plugins/{RULE}/parameters");
    let (status, html) = site.get(&browser, &path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let parameter = "survivor-child-allowance-amount";
    assert!(html.contains(parameter));
    let before = html.matches("<tr>").count();
    let (status, _, html) = site
        .post(
            &browser,
            &path,
            &[
                ("parameter", parameter),
                ("from", "01.01.2027"),
                ("value", "1975"),
                ("basis", " "),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        html.matches("Укажите акт, который устанавливает значение")
            .count(),
        2
    );
    assert!(html.contains("value=\"01.01.2027\""));
    let (status, _, html) = site
        .post(
            &browser,
            &path,
            &[
                ("parameter", parameter),
                ("from", "1 января"),
                ("value", "много"),
                ("basis", "Акт"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Введите дату в виде 01.01.2027") && html.contains("Введите число"));
    let (_, html) = site.get(&browser, &path).await;
    assert_eq!(html.matches("<tr>").count(), before, "nothing was added");
    let (status, to, _) = site
        .post(
            &browser,
            &path,
            &[
                ("parameter", parameter),
                ("from", "01.01.2027"),
                ("value", "1 975,50"),
                ("basis", "Постановление Правительства ХМАО – Югры № 1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = site.get(&browser, &to).await;
    assert!(html.contains("Запись добавлена"));
    assert!(
        html.contains("01.01.2027") && html.contains("1\u{a0}975,50"),
        "{html}"
    );
    assert!(html.contains("Постановление Правительства ХМАО – Югры № 1"));
}

/// The value of the plugin page's hidden `revision` field.
pub(super) fn revision_of(html: &str) -> String {
    html.split("name=\"revision\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's forms carry the revision")
        .to_string()
}

#[tokio::test]
async fn grants_and_schedule_are_set_from_the_plugin_page_and_a_wrong_value_changes_nothing() {
    let site = site().await;
    let admin = site.sign_in("admin").await;
    let path = format!("/plugins/{PLUGIN}");
    let (_, html) = site.get(&admin, &path).await;
    assert!(html.contains("Что алгоритму разрешено"));
    assert!(html.contains("id=\"grant-tasks-create\""));
    assert!(html.contains("Ставить задачи сотрудникам"));
    let revision = revision_of(&html);
    let before = site.store.installation(PLUGIN).await.unwrap().unwrap();

    // A schedule that is not cron: the message at the top and by the field, as typed.
    let (status, _, html) = site
        .post(
            &admin,
            &format!("{path}/schedule"),
            &[("revision", &revision), ("schedule", "каждое утро")],
        )
        .await;
    assert_refused(
        status,
        &html,
        "Введите расписание в виде cron",
        "value=\"каждое утро\"",
    );
    assert_eq!(
        site.store
            .installation(PLUGIN)
            .await
            .unwrap()
            .unwrap()
            .schedule,
        before.schedule
    );
    let (status, to, _) = site
        .post(
            &admin,
            &format!("{path}/schedule"),
            &[("revision", &revision), ("schedule", " 0 8  * * 1-5 ")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = site.get(&admin, &to).await;
    assert!(html.contains("Расписание сохранено."));
    assert_eq!(
        site.store
            .installation(PLUGIN)
            .await
            .unwrap()
            .unwrap()
            .schedule
            .as_deref(),
        Some("0 8 * * 1-5")
    );

    // The old revision is stale now: nothing is overwritten.
    let (status, _, html) = site
        .post(
            &admin,
            &format!("{path}/grants"),
            &[("revision", &revision), ("grant", "tasks.create")],
        )
        .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(html.contains("изменили, пока вы редактировали"), "{html}");
    // A capability it does not ask for cannot be granted from the page.
    let (_, html) = site.get(&admin, &path).await;
    let revision = revision_of(&html);
    let (status, _, html) = site
        .post(
            &admin,
            &format!("{path}/grants"),
            &[("revision", &revision), ("grant", "data.citizens.personal")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        html.matches("Можно выбрать только из разрешений").count(),
        2
    );
    let granted = site.store.grants(PLUGIN).await.unwrap();
    assert!(granted.iter().any(|c| c.to_string() == "tasks.create"));
    // Unticking one takes it away.
    let (status, to, _) = site
        .post(
            &admin,
            &format!("{path}/grants"),
            &[("revision", &revision), ("grant", "data.staff")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = site.get(&admin, &to).await;
    assert!(html.contains("Разрешения сохранены"));
    let granted: Vec<String> = site
        .store
        .grants(PLUGIN)
        .await
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(granted, ["data.staff"]);

    // An auditor reads the page without the forms and cannot post them.
    let auditor = site.sign_in("auditor").await;
    let (_, html) = site.get(&auditor, &path).await;
    assert!(!html.contains("/grants\"") && !html.contains("/schedule\""));
    let (status, _, _) = site
        .post(&auditor, &format!("{path}/schedule"), &[("schedule", "")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// An administrator lets a rule's shadow decide a share of its applications from the shadow's
/// page: a share out of range or a threshold that is not a number comes back by its field as
/// typed and starts nothing; a good form starts the rollout, the page shows it, and stopping
/// it gives every application back to the live version.
#[tokio::test]
async fn an_administrator_rolls_a_shadow_out_to_a_share_and_stops_it() {
    let site = site().await;
    common::income_rule_live_with_candidate(&site.host).await;
    site.host
        .start_shadow(
            "income-rule",
            &zemstvo_service::Candidate::Version("1.1.0".into()),
            "admin",
        )
        .await
        .unwrap();
    let browser = site.sign_in("admin").await;
    let page = "/plugins/income-rule/shadow";
    let (status, html) = site.get(&browser, page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Поэтапный переход не начат"), "{html}");

    let form = |share: &'static str, max_failure: &'static str| {
        [
            ("share", share),
            ("window", "50"),
            ("max_failure", max_failure),
            ("max_changed", "5"),
            ("max_duration", "2,5"),
            ("failure_limit", "2"),
        ]
    };
    let (status, _, html) = site
        .post(&browser, "/plugins/income-rule/rollout", &form("150", "2"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"share\"") && html.contains("value=\"150\""),
        "{html}"
    );
    assert!(html.contains("Целое число от 1 до 100"), "{html}");
    let (status, _, html) = site
        .post(&browser, "/plugins/income-rule/rollout", &form("10", "два"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Введите число."), "{html}");
    assert!(site.store.rollout("income-rule").await.unwrap().is_none());

    let (status, to, _) = site
        .post(&browser, "/plugins/income-rule/rollout", &form("10", "2,5"))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = site.get(&browser, &to).await;
    assert!(html.contains("Поэтапный переход начат"), "{html}");
    assert!(html.contains("теневая версия решает 10"), "{html}");
    let rollout = site.store.rollout("income-rule").await.unwrap().unwrap();
    assert_eq!(
        (rollout.settings.share_percent, rollout.settings.window),
        (10, 50)
    );
    assert!((rollout.settings.max_failure_rate - 0.025).abs() < 1e-9);
    assert!((rollout.settings.max_duration_ratio - 2.5).abs() < 1e-9);

    // An auditor reads it and has no buttons.
    let auditor = site.sign_in("auditor").await;
    let (status, html) = site.get(&auditor, page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("теневая версия решает 10") && !html.contains("stop-rollout"));
    let (status, _, _) = site
        .post(&auditor, "/plugins/income-rule/rollout/stop", &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, to, _) = site
        .post(&browser, "/plugins/income-rule/rollout/stop", &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = site.get(&browser, &to).await;
    assert!(html.contains("Переход остановлен"), "{html}");
    assert!(site.store.rollout("income-rule").await.unwrap().is_none());
    assert!(site.store.shadow("income-rule").await.unwrap().is_some());
}
