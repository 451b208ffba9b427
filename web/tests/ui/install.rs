//! Installing from the pages: a package file with its verification, and install and upgrade from the region's registry.

use super::*;

/// `name`'s reference component signed by `key` for the test vendor, as a package file.
async fn package(name: &str, key: &zemstvo_registry::SecretKey) -> Vec<u8> {
    let component = zemstvo_plugin_artifacts::reference(name)
        .unwrap()
        .bytes
        .to_vec();
    let runtime = zemstvo_host::Runtime::new(zemstvo_host::RuntimeSettings::default()).unwrap();
    let plugin = runtime.load(&component).await.unwrap();
    let manifest = zemstvo_registry::Manifest::from_plugin(
        &plugin,
        &component,
        zemstvo_registry::VendorId::new("test-vendor").unwrap(),
        zemstvo_registry::manifest::current_host_version(),
    )
    .unwrap();
    zemstvo_registry::Package::sign(manifest, component, &[key])
        .unwrap()
        .to_bytes()
}

impl Site {
    /// Posts the upload form as a browser does (`multipart/form-data`), with the file.
    async fn upload(
        &self,
        browser: &Browser,
        file: Option<&[u8]>,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let boundary = "----zemstvo-test-boundary";
        let mut body = Vec::new();
        let mut field = |name: &str, filename: Option<&str>, bytes: &[u8]| {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match filename {
                Some(f) => body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        };
        field("csrf", None, browser.csrf.as_bytes());
        for (name, value) in fields {
            field(name, None, value.as_bytes());
        }
        // A browser sends an empty file part when no file was chosen.
        field(
            "package",
            Some(if file.is_some() { "plugin.zpkg" } else { "" }),
            file.unwrap_or_default(),
        );
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let response = self
            .client
            .post(format!("{}/packages/upload", self.base))
            .header("cookie", &browser.cookie)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let to = location(&response);
        (status, to, response.text().await.unwrap())
    }
}

#[tokio::test]
async fn an_administrator_installs_a_package_file_and_sees_its_verification() {
    let site = site().await;
    let admin = site.sign_in("admin").await;
    let (_, html) = site.get(&admin, "/plugins").await;
    assert!(html.contains("href=\"/packages\""));
    let (status, html) = site.get(&admin, "/packages").await;
    assert_eq!(status, StatusCode::OK);
    // This region has no registry: the page says so and offers the file.
    assert!(html.contains("В регионе не настроен реестр"), "{html}");
    let audit = site.store.audit_log(None, 1000).await.unwrap().len();
    let (status, _, html) = site.post(&admin, "/packages", &[("name", RULE)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("class=\"error-summary\"") && html.contains("не настроен реестр"));

    // No file, a file that is no package, a package signed by a stranger: each refused by
    // the field, nothing installed.
    let (status, _, html) = site.upload(&admin, None, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(html.matches("Выберите файл пакета").count(), 2, "{html}");
    let (status, _, html) = site
        .upload(&admin, Some(b"not a package"), &[("enable", "true")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Файл не является пакетом алгоритма"),
        "{html}"
    );
    assert!(html.contains("id=\"upload-enable\" name=\"enable\" value=\"true\" checked"));
    let stranger = zemstvo_registry::SecretKey::from_seed(&[9; 32]);
    let (status, _, html) = site
        .upload(&admin, Some(&package(RULE, &stranger).await), &[])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("он подписан ключом, которого нет среди доверенных ключей"),
        "{html}"
    );
    assert!(site.store.installation(RULE).await.unwrap().is_none());
    assert_eq!(
        site.store.audit_log(None, 1000).await.unwrap().len(),
        audit,
        "refusals changed nothing"
    );
    // A form without the session's token is refused before the file is looked at.
    let forged = Browser {
        cookie: admin.cookie.clone(),
        csrf: "forged".into(),
    };
    let trusted = zemstvo_registry::SecretKey::from_seed(&[7; 32]);
    let signed = package(RULE, &trusted).await;
    let (status, _, _) = site.upload(&forged, Some(&signed), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The signed package installs; its page shows who signed it, its sha256 and what it asks
    // to be granted (nothing yet: the box was not ticked).
    let (status, to, _) = site.upload(&admin, Some(&signed), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("/plugins/{RULE}?done=installed#verified"));
    let installation = site.store.installation(RULE).await.unwrap().unwrap();
    assert!(!installation.enabled);
    let (_, html) = site.get(&admin, &to).await;
    assert!(html.contains("Алгоритм установлен."));
    let verified = section(&html, "id=\"verified\"", "</section>");
    assert!(verified.contains("test-vendor"), "{verified}");
    assert!(verified.contains(&installation.sha256));
    assert!(
        verified.contains("Отправлять запросы СМЭВ") && verified.contains("не выдано"),
        "{verified}"
    );
    // The page's text is Russian: the plugin's title and description from ru.ftl.
    assert!(!html.contains("Decides"), "{html}");

    // Upgrading needs the registry this region does not have: said by the button, nothing
    // changed.
    let (status, _, html) = site
        .post(&admin, &format!("/plugins/{RULE}/upgrade"), &[])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Обновить из реестра нельзя"), "{html}");
    assert!(html.contains("В регионе не настроен реестр"), "{html}");

    // Managers may not install.
    let manager = site.sign_in("manager").await;
    assert_eq!(
        site.get(&manager, "/packages").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _, _) = site.upload(&manager, Some(&signed), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The reference plugin the registry test publishes.
const PUBLISHED: &str = "isu-smev-answer-delay";

/// A registry on a loopback port with the vendor `lipetsk-soft` (scope `isu-*`) and its key,
/// [`PUBLISHED`] published, serving until the sender is dropped.
async fn registry() -> (
    String,
    zemstvo_registry::SecretKey,
    tempfile::TempDir,
    tokio::sync::oneshot::Sender<()>,
) {
    use zemstvo_registry::server::{self, AdminToken, AppState, ServerSettings};
    let dir = tempfile::tempdir().unwrap();
    let store = zemstvo_registry::store::Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("registry.db").display()
    ))
    .await
    .unwrap();
    let token = AdminToken::generate().unwrap();
    let state = AppState::new(store, &token, ServerSettings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(listener, state, async {
        let _ = stopped.await;
    }));
    let admin = zemstvo_registry::Client::new(&url)
        .unwrap()
        .with_admin_token(token.as_str());
    let vendor = zemstvo_registry::VendorId::new("lipetsk-soft").unwrap();
    admin
        .add_vendor(&zemstvo_registry::api::NewVendor {
            id: vendor.clone(),
            display_name: None,
            scope: Some(vec![zemstvo_registry::NamePattern::new("isu-*").unwrap()]),
        })
        .await
        .unwrap();
    let key = zemstvo_registry::SecretKey::generate().unwrap();
    admin.add_key(&vendor, &key.public_key()).await.unwrap();
    let component = zemstvo_plugin_artifacts::reference(PUBLISHED)
        .unwrap()
        .bytes
        .to_vec();
    let runtime = zemstvo_host::Runtime::new(zemstvo_host::RuntimeSettings::default()).unwrap();
    let plugin = runtime.load(&component).await.unwrap();
    let manifest = zemstvo_registry::Manifest::from_plugin(
        &plugin,
        &component,
        vendor,
        zemstvo_registry::manifest::current_host_version(),
    )
    .unwrap();
    let package = zemstvo_registry::Package::sign(manifest, component, &[&key]).unwrap();
    admin
        .publish(package.to_bytes(), &key, &mut |_| {})
        .await
        .unwrap();
    (url, key, dir, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_installs_and_upgrades_from_the_regions_registry() {
    let (url, key, _registry_dir, _registry_stop) = registry().await;

    // A region whose `registry` is that one and which trusts the vendor's key.
    let db = TestDatabase::sqlite().await;
    let store = db.store().await;
    store
        .create_region(&zemstvo_store::load::RegionInfo {
            id: "lipetsk-demo".into(),
            name: "demo".into(),
            timezone: "Europe/Moscow".into(),
        })
        .await
        .unwrap();
    store
        .load_region(
            &zemstvo_demo::demo_region(zemstvo_demo::DemoScale::SMALL, 11, NOW),
            &|_, _| {},
        )
        .await
        .unwrap();
    let runtime = std::sync::Arc::new(
        zemstvo_host::Runtime::new(zemstvo_host::RuntimeSettings::default()).unwrap(),
    );
    let host = std::sync::Arc::new(
        zemstvo_service::RegionHost::open(
            store.clone(),
            runtime,
            zemstvo_service::HostSettings {
                host_id: "host-a".into(),
                smev: zemstvo_service::SmevSettings::None,
                registry: Some(url.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap(),
    );
    host.installations()
        .update_trust("test", "trust-add", serde_json::json!({}), |t| {
            t.trust(
                key.public_key(),
                zemstvo_registry::VendorId::new("lipetsk-soft").unwrap(),
                vec![zemstvo_registry::NamePattern::new("isu-*").unwrap()],
            )
        })
        .await
        .unwrap();
    add_user(&store, "admin", Role::Administrator, None).await;
    let (base, stop) = serve_api(host.clone()).await;
    let site = Site {
        base,
        host,
        client: Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        employee: 0,
        colleague: 0,
        own_task: 0,
        other_task: 0,
        _db: db,
        _stop: stop,
    };
    let admin = site.sign_in("admin").await;
    let (status, html) = site.get(&admin, "/packages").await;
    assert_eq!(status, StatusCode::OK);
    // (minijinja escapes `/` in values as `&#x2f;`, which browsers read as `/`.)
    let html = html.replace("&#x2f;", "/");
    assert!(html.contains(&format!("Реестр региона: {url}")), "{html}");

    // Wrong names are refused by the field, as typed; nothing is installed for them.
    let (status, _, html) = site
        .post(
            &admin,
            "/packages",
            &[("name", "Проверка"), ("version", "^1")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        html.matches("Название пакета — строчные латинские буквы")
            .count(),
        2,
        "{html}"
    );
    assert!(html.contains("value=\"Проверка\"") && html.contains("value=\"^1\""));
    let (status, _, html) = site
        .post(&admin, "/packages", &[("name", "isu-nothing")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Пакет не получен из реестра"), "{html}");
    assert!(site.store.installations().await.unwrap().is_empty());

    // The version asked for installs, enabled with what it declares; its page shows the
    // verification.
    let (status, to, _) = site
        .post(
            &admin,
            "/packages",
            &[
                ("name", PUBLISHED),
                ("version", "^1"),
                ("enable", "true"),
                ("grant_declared", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("/plugins/{PUBLISHED}?done=installed#verified"));
    let installation = site.store.installation(PUBLISHED).await.unwrap().unwrap();
    assert!(installation.enabled);
    let (_, html) = site.get(&admin, &to).await;
    let verified = section(&html, "id=\"verified\"", "</section>");
    assert!(verified.contains("lipetsk-soft") && verified.contains(&installation.sha256));
    assert!(
        verified.contains("выдано") && !verified.contains("не выдано"),
        "{verified}"
    );

    // Upgrading finds nothing newer in the registry and says so, changing nothing.
    let revision = super::plugins::revision_of(&html);
    let (status, to, _) = site
        .post(
            &admin,
            &format!("/plugins/{PUBLISHED}/upgrade"),
            &[("revision", &revision)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (_, html) = site.get(&admin, &to).await;
    assert!(
        html.contains("Эта версия уже установлена: ничего не изменилось."),
        "{html}"
    );
    assert_eq!(
        site.store.installation(PUBLISHED).await.unwrap().unwrap(),
        installation,
        "nothing changed"
    );
}
