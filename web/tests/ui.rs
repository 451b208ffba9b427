//! The web pages over real HTTP, role by role, asserting on the HTML a user sees: signing in
//! (and coming back after an expired session), the employee's cabinet and one task's actions,
//! the manager's unit and reassigning, the administrator's plugins (disable, enable, a
//! configuration form that refuses an out-of-range value), the dashboard's charts, and the
//! Russian pages for what does not exist or may not be seen. Every refused form changes
//! nothing.

mod common;

use common::{NOW, PASSWORD, PLUGIN, add_user, region_with_plugin, serve_api};
use reqwest::{Client, StatusCode, redirect};
use zemstvo_store::Store;
use zemstvo_store::accounts::Role;
use zemstvo_store::tasks::{TaskFilter, TaskStatus};
use zemstvo_store::testing::TestDatabase;
use zemstvo_web::auth::hash_secret;

struct Site {
    base: String,
    client: Client,
    store: Store,
    /// The employee, a colleague in the same unit, and their manager (employee ids).
    employee: u64,
    colleague: u64,
    /// A task of the employee's and one of the colleague's.
    own_task: i64,
    other_task: i64,
    _db: TestDatabase,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A signed-in browser: its session cookie and the CSRF token its pages' forms carry.
struct Browser {
    cookie: String,
    csrf: String,
}

/// The eligibility rule with effective-dated parameters.
const RULE: &str = "yugra-child-allowance";

async fn site() -> Site {
    site_with(false).await
}

/// A served region; with `rule`, [`RULE`] is installed too (disabled), signed by the test
/// vendor `region_with_plugin` trusts.
async fn site_with(rule: bool) -> Site {
    let db = TestDatabase::sqlite().await;
    let (store, host) = region_with_plugin(&db).await;
    if rule {
        let options = zemstvo_service::InstallOptions {
            grant_declared: true,
            actor: "test".into(),
            ..Default::default()
        };
        host.install_signed_by(
            zemstvo_plugin_artifacts::reference(RULE).unwrap().bytes,
            &zemstvo_registry::VendorId::new("test-vendor").unwrap(),
            &zemstvo_registry::SecretKey::from_seed(&[7; 32]),
            &options,
        )
        .await
        .unwrap();
    }
    store.enqueue_run(PLUGIN, "manual", NOW, 0).await.unwrap();
    let outcome = host.run_next().await.unwrap().unwrap();
    assert!(outcome.report.succeeded(), "{:?}", outcome.report.failure());
    let tasks = store.tasks(&TaskFilter::default()).await.unwrap();
    // Two employees of one manager, each with a task.
    let (own, other) = tasks
        .iter()
        .filter(|t| t.overseer.is_some())
        .find_map(|a| {
            tasks
                .iter()
                .find(|b| b.overseer == a.overseer && b.assignee != a.assignee)
                .map(|b| (a.clone(), b.clone()))
        })
        .expect("two employees of one manager with tasks");
    let manager = own.overseer.unwrap();
    add_user(&store, "admin", Role::Administrator, None).await;
    add_user(&store, "manager", Role::Manager, Some(manager)).await;
    add_user(&store, "employee", Role::Employee, Some(own.assignee)).await;
    add_user(&store, "auditor", Role::Auditor, None).await;
    let (base, stop) = serve_api(host).await;
    Site {
        base,
        client: Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        employee: own.assignee,
        colleague: other.assignee,
        own_task: own.id,
        other_task: other.id,
        _db: db,
        _stop: stop,
    }
}

/// The value of the first `name="csrf" value="…"` on a page.
fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page has a form with the CSRF token")
        .to_string()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

impl Site {
    async fn sign_in(&self, login: &str) -> Browser {
        let response = self
            .client
            .post(format!("{}/sign-in", self.base))
            .form(&[("login", login), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let cookie = cookie.split(';').next().unwrap().to_string();
        let mut browser = Browser {
            cookie,
            csrf: String::new(),
        };
        // Every signed-in page carries the sign-out form and with it the token; `/` sends
        // a user without tasks of their own on to their first page.
        let mut path = "/".to_string();
        let page = loop {
            let response = self
                .client
                .get(format!("{}{path}", self.base))
                .header("cookie", &browser.cookie)
                .send()
                .await
                .unwrap();
            if response.status() == StatusCode::SEE_OTHER {
                path = location(&response);
                continue;
            }
            break response.text().await.unwrap();
        };
        browser.csrf = csrf_of(&page);
        browser
    }

    /// GETs a page: its status and HTML (after following nothing).
    async fn get(&self, browser: &Browser, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &browser.cookie)
            .send()
            .await
            .unwrap();
        let status = response.status();
        if status.is_success() || status.is_client_error() {
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(
                content_type.starts_with("text/html"),
                "{path}: {content_type}"
            );
        }
        (status, response.text().await.unwrap())
    }

    /// POSTs a form with the browser's CSRF token: the status, the redirect and the HTML.
    async fn post(
        &self,
        browser: &Browser,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &browser.csrf)];
        form.extend_from_slice(fields);
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &browser.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let to = location(&response);
        (status, to, response.text().await.unwrap())
    }

    async fn status_of(&self, task: i64) -> TaskStatus {
        self.store.task(task).await.unwrap().status
    }
}

#[tokio::test]
async fn sign_in_keeps_the_login_on_errors_and_returns_to_the_page_asked_for() {
    let site = site().await;
    let path = format!("/tasks/{}", site.own_task);
    let anonymous = Browser {
        cookie: String::new(),
        csrf: String::new(),
    };
    let response = site
        .client
        .get(format!("{}{path}", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("/sign-in?next=%2Ftasks%2F{}", site.own_task)
    );
    let (status, html) = site.get(&anonymous, "/sign-in?next=/tasks/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"ru\">"));
    assert!(html.contains("Вход в систему"));
    assert!(html.contains("<label class=\"label\" for=\"login\">Логин</label>"));

    // A missing password: the error at the top and by the field, the login as typed.
    let response = site
        .client
        .post(format!("{}/sign-in", site.base))
        .form(&[("login", "employee"), ("password", ""), ("next", &path)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("class=\"error-summary\""), "{html}");
    assert_eq!(html.matches("Введите пароль").count(), 2, "{html}");
    assert!(html.contains("value=\"employee\""));

    let response = site
        .client
        .post(format!("{}/sign-in", site.base))
        .form(&[
            ("login", "employee"),
            ("password", "not the password"),
            ("next", &path),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Неверный логин или пароль")
    );

    // Another site's form cannot sign a browser in.
    let response = site
        .client
        .post(format!("{}/sign-in", site.base))
        .header("origin", "https://evil.example")
        .form(&[("login", "employee"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("set-cookie").is_none());

    // Signed in, the browser goes back where it was headed — never to another site.
    let response = site
        .client
        .post(format!("{}/sign-in", site.base))
        .form(&[
            ("login", "employee"),
            ("password", PASSWORD),
            ("next", &path),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), path);
    let response = site
        .client
        .post(format!("{}/sign-in", site.base))
        .form(&[
            ("login", "employee"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/");

    // Signed out, the old cookie leads to the sign-in page, which says the session ended
    // and brings the user back to the page.
    let browser = site.sign_in("employee").await;
    let (status, to, _) = site.post(&browser, "/sign-out", &[]).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/sign-in"));
    let response = site
        .client
        .get(format!("{}{path}", site.base))
        .header("cookie", &browser.cookie)
        .send()
        .await
        .unwrap();
    let to = location(&response);
    assert_eq!(
        to,
        format!("/sign-in?next=%2Ftasks%2F{}&expired=1", site.own_task)
    );
    // A form posted after the session ended changes nothing and returns to its page.
    let response = site
        .client
        .post(format!("{}/tasks/{}/status", site.base, site.own_task))
        .header("cookie", &browser.cookie)
        .header("referer", format!("{}{path}", site.base))
        .form(&[("csrf", browser.csrf.as_str()), ("action", "done")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), to);
    assert_eq!(site.status_of(site.own_task).await, TaskStatus::New);
    let (_, html) = site.get(&anonymous, &to).await;
    assert!(html.contains("Сессия завершилась"));
    // (minijinja escapes `/` in values as `&#x2f;`, which browsers read as `/`.)
    let html = html.replace("&#x2f;", "/");
    assert!(html.contains(&format!("name=\"next\" value=\"/tasks/{}\"", site.own_task)));
}

#[tokio::test]
async fn a_sign_in_link_lands_in_the_cabinet_once_and_then_says_it_was_used() {
    let site = site().await;
    site.store
        .add_sign_in_link("employee", &hash_secret("the-link"), NOW * 2)
        .await
        .unwrap();
    let response = site
        .client
        .get(format!("{}/sign-in/the-link", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let browser = Browser {
        cookie: cookie.split(';').next().unwrap().to_string(),
        csrf: String::new(),
    };
    let (status, html) = site.get(&browser, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/tasks/{}\"", site.own_task)));
    let (status, html) = site.get(&browser, "/sign-in/the-link").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("ссылка для входа уже использована"), "{html}");
}

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
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        html.matches("Укажите причину отклонения").count(),
        2,
        "{html}"
    );
    assert!(html.contains("href=\"#reason\""));
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
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        html.matches("Введите число от 1 до 60").count(),
        2,
        "{html}"
    );
    assert!(html.contains("value=\"99\""));
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
