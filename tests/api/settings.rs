//! The settings pages' access control over HTTP (SPEC §4: "another user's
//! application or authorization answers 404, and nothing changes").

use crate::helpers::*;

#[tokio::test]
async fn another_users_application_answers_404_to_every_action_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let dev = app.create_user("dev").await;
    let mallory = app.create_user("mallory").await;
    let client = app.register_client(&dev, "user_info").await;
    let tokens = app.password_grant(&dev, &client, "user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &mallory).await;
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_value(&home, "csrf_token");
    let base = format!("/settings/applications/{}", client.id());

    for path in [base.clone(), format!("{base}/edit"), format!("{base}/delete")] {
        assert_eq!(browser.get(app.url(&path)).send().await.unwrap().status(), 404, "GET {path}");
    }
    for action in ["edit", "reset_secret", "revoke_tokens", "delete"] {
        let response = browser
            .post(app.url(&format!("{base}/{action}")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "Stolen"),
                ("redirect_uris", "https://evil.example/cb"),
                ("scope_user_info", "on"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "POST {action}");
    }
    let revoke = browser
        .post(app.url(&format!("/settings/authorized/{}/revoke", client.id())))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(revoke.status(), 404, "mallory never authorized it");
    let unchanged = app.store.find_client(client.id()).await.unwrap().expect("not deleted");
    assert_eq!(unchanged.name, "Test App");
    assert_eq!(unchanged.redirect_uris, [CALLBACK]);
    assert_eq!(app.password_grant(&dev, &client, "user_info").await["token_type"], "bearer", "the secret still works");
    assert_eq!(app.api_get("/api/v5/user", tokens["access_token"].as_str().unwrap()).await.status(), 200);
}

#[tokio::test]
async fn a_password_grant_is_listed_under_authorized_applications_and_revocable() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &client, "user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    let page = browser.get(app.url("/settings/authorized")).send().await.unwrap().text().await.unwrap();
    let revoked = browser
        .post(app.url(&format!("/settings/authorized/{}/revoke", client.id())))
        .form(&[("csrf_token", hidden_value(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();

    assert!(page.contains("Test App"), "{page}");
    assert_eq!(revoked.status(), 303);
    assert_eq!(app.api_get("/api/v5/user", tokens["access_token"].as_str().unwrap()).await.status(), 401);
}
