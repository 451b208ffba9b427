//! Signing in: errors keep the login, a return to the page asked for, one-time sign-in links.

use super::*;

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
