//! The employee's cabinet and a task's actions; the manager's unit and reassigning.

use super::*;

#[tokio::test]
async fn an_employee_sees_only_their_tasks_and_takes_completes_or_rejects_them() {
    let site = site().await;
    let browser = site.sign_in("employee").await;
    let (status, html) = site.get(&browser, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Мои задачи"));
    assert!(html.contains(&format!("href=\"/tasks/{}\"", site.own_task)));
    assert!(!html.contains(&format!("href=\"/tasks/{}\"", site.other_task)));
    // The menu offers only what the role may use.
    assert!(!html.contains("href=\"/plugins\""), "{html}");
    assert!(!html.contains("href=\"/dashboard\""));
    assert!(!html.contains("href=\"/unit\""));
    assert!(!html.contains("href=\"/runs\"") && !html.contains("href=\"/audit\""));
    let names = site.store.employee_names(&[site.colleague]).await.unwrap();
    assert!(!html.contains(&names[&site.colleague]));

    // Another's task does not exist for them; pages they may not use say so in Russian.
    let (status, html) = site
        .get(&browser, &format!("/tasks/{}", site.other_task))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Страница не найдена"));
    for path in [
        "/plugins",
        "/dashboard",
        "/unit",
        &format!("/plugins/{PLUGIN}"),
    ] {
        let (status, html) = site.get(&browser, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("Нет доступа к этой странице"), "{path}");
    }
    let (status, html) = site.get(&browser, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Страница не найдена") && !html.contains("problem"));
    // Not even by posting to it.
    let (status, _, _) = site
        .post(
            &browser,
            &format!("/tasks/{}/status", site.other_task),
            &[("action", "done")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(site.status_of(site.other_task).await, TaskStatus::New);

    // The task page: the deviation, its records, the steps.
    let task = site.store.task(site.own_task).await.unwrap();
    let (status, html) = site
        .get(&browser, &format!("/tasks/{}", site.own_task))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&task.title.replace('"', "&quot;")) || html.contains(&task.title));
    assert!(html.contains("Записи, по которым найдено отклонение"));
    assert!(html.contains("Взять в работу"));

    // Rejecting without a reason: the message at the top and by the field, nothing changed.
    let path = format!("/tasks/{}/status", site.own_task);
    let (status, _, html) = site
        .post(
            &browser,
            &path,
            &[("action", "rejected"), ("reason", "   ")],
        )
        .await;
    assert_refused(
        status,
        &html,
        "Укажите причину отклонения",
        "href=\"#reason\"",
    );
    assert_eq!(site.status_of(site.own_task).await, TaskStatus::New);

    // A post without the CSRF token (from another site, say) is refused.
    let response = site
        .client
        .post(format!("{}{path}", site.base))
        .header("cookie", &browser.cookie)
        .form(&[("action", "done")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Форма устарела"));
    assert_eq!(site.status_of(site.own_task).await, TaskStatus::New);

    let (status, to, _) = site
        .post(&browser, &path, &[("action", "in_progress")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("/tasks/{}?done=taken", site.own_task));
    let (_, html) = site.get(&browser, &to).await;
    assert!(html.contains("Задача взята в работу."));
    assert!(html.contains("В работе"));
    assert_eq!(site.status_of(site.own_task).await, TaskStatus::InProgress);

    let (status, _, _) = site
        .post(
            &browser,
            &format!("/tasks/{}/comments", site.own_task),
            &[("comment", "Проверяю ответ ФНС")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = site
        .post(
            &browser,
            &path,
            &[("action", "rejected"), ("reason", "Ответ пришёл вовремя")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(site.status_of(site.own_task).await, TaskStatus::Rejected);
    let (_, html) = site
        .get(&browser, &format!("/tasks/{}", site.own_task))
        .await;
    assert!(html.contains("Ответ пришёл вовремя"));
    assert!(html.contains("Проверяю ответ ФНС"));
    assert!(html.contains("Задача закрыта"));
}

#[tokio::test]
async fn a_manager_sees_the_unit_and_reassigns_a_task_within_it() {
    let site = site().await;
    let browser = site.sign_in("manager").await;
    let (status, html) = site.get(&browser, "/unit").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let names = site
        .store
        .employee_names(&[site.employee, site.colleague])
        .await
        .unwrap();
    assert!(html.contains(&names[&site.employee]));
    assert!(html.contains(&names[&site.colleague]));
    assert!(html.contains(&format!("href=\"/tasks/{}/reassign\"", site.own_task)));

    let path = format!("/tasks/{}/reassign", site.own_task);
    let (status, html) = site.get(&browser, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<option value=\"{}\"", site.colleague)));
    let (status, _, html) = site.post(&browser, &path, &[("assignee", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(html.matches("Выберите сотрудника").count(), 2, "{html}");
    // Someone outside the unit is refused, nothing changed.
    let (status, _, html) = site.post(&browser, &path, &[("assignee", "999999")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("не из вашего подразделения"), "{html}");
    assert_eq!(
        site.store.task(site.own_task).await.unwrap().assignee,
        site.employee
    );
    let colleague = site.colleague.to_string();
    let (status, to, _) = site
        .post(&browser, &path, &[("assignee", &colleague)])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/unit?done=reassigned")
    );
    assert_eq!(
        site.store.task(site.own_task).await.unwrap().assignee,
        site.colleague
    );
    let (_, html) = site.get(&browser, &to).await;
    assert!(html.contains("Задача передана другому сотруднику."));

    // The employee no longer sees it.
    let employee = site.sign_in("employee").await;
    let (status, _) = site
        .get(&employee, &format!("/tasks/{}", site.own_task))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
