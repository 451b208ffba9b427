//! Users and API tokens managed from the pages.

use super::*;

#[tokio::test]
async fn users_and_tokens_are_managed_from_the_pages() {
    let site = site().await;
    let admin = site.sign_in("admin").await;
    let (_, html) = site.get(&admin, "/users").await;
    assert!(html.contains("href=\"/users/new\"") && html.contains("href=\"/users/auditor\""));
    let users = site.store.users().await.unwrap().len();

    // Everything wrong at once: each message at the top and by its field, the typed values
    // kept, nobody added.
    let (status, _, html) = site
        .post(
            &admin,
            "/users/new",
            &[
                ("login", "ы"),
                ("full_name", " "),
                ("role", "employee"),
                ("employee_id", ""),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Введите логин",
        "Введите фамилию, имя и отчество",
        "Укажите номер сотрудника",
        "Пароль должен быть не короче 10 знаков",
    ] {
        assert_eq!(html.matches(message).count(), 2, "{message}: {html}");
    }
    assert!(html.contains("value=\"ы\""));
    let (status, _, html) = site
        .post(
            &admin,
            "/users/new",
            &[
                ("login", "employee"),
                ("full_name", "Иванова Мария Петровна"),
                ("role", "auditor"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Этот логин уже занят"), "{html}");
    let (status, _, html) = site
        .post(
            &admin,
            "/users/new",
            &[
                ("login", "ivanova"),
                ("full_name", "Иванова Мария Петровна"),
                ("role", "employee"),
                ("employee_id", "999999"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        html.matches("Сотрудника с таким номером в данных региона нет")
            .count(),
        2
    );
    assert_eq!(site.store.users().await.unwrap().len(), users);

    let (status, to, _) = site
        .post(
            &admin,
            "/users/new",
            &[
                ("login", "portal"),
                ("full_name", "Региональный портал"),
                ("role", "auditor"),
                ("employee_id", ""),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/users/portal?done=added");
    let (_, html) = site.get(&admin, &to).await;
    assert!(html.contains("Пользователь добавлен.") && html.contains("аудитор"));

    // A token: shown once, on a page no cache keeps; it opens the API until revoked.
    let (status, _, html) = site
        .post(
            &admin,
            "/users/portal/tokens",
            &[("token_name", ""), ("token_days", "1000")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Укажите, для какой системы") && html.contains("от 1 до 730"));
    let response = site
        .client
        .post(format!("{}/users/portal/tokens", site.base))
        .header("cookie", &admin.cookie)
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("token_name", "portal"),
            ("token_days", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    let token = section(&html, "id=\"new-token\">", "</code>")
        .trim_start_matches("id=\"new-token\">")
        .to_string();
    assert!(token.len() > 20, "{html}");
    let api = |token: String| {
        let client = site.client.clone();
        let url = format!("{}/api/v1/plugins", site.base);
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(api(token.clone()).await, StatusCode::OK);
    let (_, html) = site.get(&admin, "/users/portal").await;
    assert!(!html.contains(&token), "the value is never shown again");
    let id = html
        .split("action=\"/tokens/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string();
    let (status, to, _) = site
        .post(&admin, &format!("/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/users/portal?done=revoked")
    );
    assert_eq!(api(token).await, StatusCode::UNAUTHORIZED);

    // A role change, and disabling; an administrator cannot lock themselves out.
    let (status, _, _) = site
        .post(
            &admin,
            "/users/portal",
            &[("change", "role"), ("role", "manager")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = site
        .post(&admin, "/users/portal", &[("change", "disable")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let portal = site.store.user_by_login("portal").await.unwrap().unwrap();
    assert_eq!((portal.role, portal.disabled), (Role::Manager, true));
    let (status, _, html) = site
        .post(&admin, "/users/admin", &[("change", "disable")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Свою роль администратора и свой вход изменить нельзя"));
    assert!(
        !site
            .store
            .user_by_login("admin")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );

    // Only administrators manage users; the menu offers it to nobody else.
    let manager = site.sign_in("manager").await;
    let (_, html) = site.get(&manager, "/unit").await;
    assert!(!html.contains("href=\"/users\""));
    assert_eq!(
        site.get(&manager, "/users/new").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        site.get(&manager, "/users/portal").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _, _) = site
        .post(
            &manager,
            "/users/new",
            &[
                ("login", "x1"),
                ("full_name", "X"),
                ("role", "administrator"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
