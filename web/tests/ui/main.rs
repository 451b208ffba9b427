//! The web pages over real HTTP, role by role, asserting on the HTML a user sees: signing in
//! (and coming back after an expired session), the employee's cabinet and one task's actions,
//! the manager's unit and reassigning, the administrator's plugins (disable, enable, a
//! configuration form that refuses an out-of-range value), the dashboard's charts, and the
//! Russian pages for what does not exist or may not be seen. Every refused form changes
//! nothing.

#[path = "../common/mod.rs"]
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
    host: std::sync::Arc<zemstvo_service::RegionHost>,
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
    site_on(TestDatabase::sqlite().await, rule).await
}

/// [`site_with`] on `db` (SQLite or PostgreSQL).
async fn site_on(db: TestDatabase, rule: bool) -> Site {
    let (store, host) = region_with_plugin(&db).await;
    if rule {
        let options = zemstvo_service::InstallOptions {
            grant_declared: true,
            actor: "test".into(),
            ..Default::default()
        };
        zemstvo_service::pack_and_install(
            &host,
            zemstvo_plugin_artifacts::reference(RULE).unwrap().bytes,
            &zemstvo_registry::VendorId::new("test-vendor").unwrap(),
            &zemstvo_registry::SecretKey::from_seed(&[7; 32]),
            &options,
        )
        .await
        .unwrap();
    }
    store.enqueue_run(PLUGIN, "manual", NOW, 0).await.unwrap();
    let outcome = host.runs().run_next().await.unwrap().unwrap();
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
    let (base, stop) = serve_api(host.clone()).await;
    Site {
        base,
        host,
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

/// Runs SQL against the site's database: records the pages have no form for.
async fn execute(site: &Site, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&site._db.url).await.unwrap();
    sqlx::query(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

/// The part of `html` from `start` to the next `end`.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in {html}"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// A day as the pages write it, in Moscow (the test region's zone).
fn html_date(unix: i64) -> String {
    zemstvo_web::ui::text::date(unix, chrono_tz::Europe::Moscow)
}

mod appeals;
mod dashboard;
mod install;
mod journal;
mod plugins;
mod replay;
/// A refused form as the pages answer it: 422, the message twice (in the summary at the top
/// and by its field), and what the user typed kept.
fn assert_refused(status: StatusCode, html: &str, message: &str, typed: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert_eq!(html.matches(message).count(), 2, "{html}");
    assert!(html.contains(typed), "{html}");
}

mod session;
mod tasks;
mod users;
