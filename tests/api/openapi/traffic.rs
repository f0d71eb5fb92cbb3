//! Real traffic against the document: every grant, its refusals, revocation,
//! introspection, UserInfo, the device flow's start and poll, and the Open
//! API; each answer's status and body must be what the document says for
//! that operation. Then the checker is shown to refuse what it must.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{Answer, Contract};
use crate::helpers::*;

/// The server, its contract, a user and an application with every scope the
/// document's operations need.
struct Scene {
    app: TestApp,
    contract: Contract,
    ann: TestUser,
    client: TestClient,
}

impl Scene {
    async fn new() -> Scene {
        let app = TestApp::spawn().await;
        let contract = Contract::of(&app).await;
        let ann = app.create_user("ann").await;
        let client = app.register_client(&ann, "user_info emails projects openid profile email").await;
        Scene { app, contract, ann, client }
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.app.http.post(self.app.url(path))
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.app.http.get(self.app.url(path))
    }

    /// A token request with the client's secret in the body, plus `form`.
    async fn token(&self, form: &[(&str, &str)]) -> Answer {
        let mut body = vec![("client_id", self.client.id()), ("client_secret", self.client.secret())];
        body.extend_from_slice(form);
        self.contract.send("post", self.post("/oauth/token").form(&body)).await
    }

    async fn password_grant(&self, scope: &str) -> Value {
        let form =
            [("grant_type", "password"), ("username", &self.ann.email), ("password", PASSWORD), ("scope", scope)];
        let answer = self.token(&form).await;
        assert_eq!(answer.status, 200);
        answer.json()
    }

    /// `path` with the client authenticated by HTTP Basic.
    fn basic(&self, path: &str, secret: &str) -> reqwest::RequestBuilder {
        let credentials = STANDARD.encode(format!("{}:{secret}", self.client.id()));
        self.post(path).header("authorization", format!("Basic {credentials}"))
    }
}

fn token_of(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap_or_else(|| panic!("no {name} in {body}")).to_owned()
}

#[tokio::test]
async fn the_token_endpoint_answers_as_documented() {
    let scene = Scene::new().await;
    let contract = &scene.contract;

    let issued = scene.password_grant("user_info openid profile email").await;
    let code = scene.app.code_for(&scene.ann, &scene.client, "user_info openid").await;
    let exchanged =
        scene.token(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK)]).await;
    let refresh_token = token_of(&issued, "refresh_token");
    let refreshed = scene.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)]).await;
    let for_itself = scene.token(&[("grant_type", "client_credentials"), ("scope", "projects")]).await;
    let replayed =
        scene.token(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK)]).await;
    let unsupported = scene.token(&[("grant_type", "implicit")]).await;
    let no_grant_type = scene.token(&[]).await;
    let bad_scope = scene.token(&[("grant_type", "client_credentials"), ("scope", "nonsense")]).await;
    let wrong_secret =
        contract.send("post", scene.basic("/oauth/token", "wrong").form(&[("grant_type", "client_credentials")])).await;
    let anonymous = reqwest::Client::new().post(scene.app.url("/oauth/token")).form(&[("grant_type", "password")]);
    let no_user_agent = contract.send("post", anonymous).await;
    let json_body =
        contract.send("post", scene.post("/oauth/token").json(&json!({ "grant_type": "refresh_token" }))).await;

    assert_eq!(issued["token_type"], "bearer");
    assert!(issued["id_token"].is_string(), "{issued}");
    assert_eq!(exchanged.status, 200);
    assert_eq!(refreshed.status, 200);
    assert_eq!(for_itself.status, 200);
    assert!(for_itself.json().get("refresh_token").is_none());
    for (answer, status, code) in [
        (&replayed, 400, "invalid_grant"),
        (&unsupported, 400, "unsupported_grant_type"),
        (&no_grant_type, 400, "invalid_request"),
        (&bad_scope, 400, "invalid_scope"),
        (&wrong_secret, 401, "invalid_client"),
        (&no_user_agent, 403, "invalid_request"),
        (&json_body, 400, "invalid_request"),
    ] {
        assert_eq!((answer.status, answer.json()["error"].as_str().unwrap()), (status, code));
    }
}

#[tokio::test]
async fn throttled_password_guesses_answer_as_documented() {
    let scene = Scene::new().await;
    let guess = [("grant_type", "password"), ("username", scene.ann.email.as_str()), ("password", "guess")];

    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(scene.token(&guess).await.status);
    }

    assert_eq!(statuses, [400, 400, 400, 400, 400, 400, 429]);
}

#[tokio::test]
async fn revocation_and_introspection_answer_as_documented() {
    let scene = Scene::new().await;
    let contract = &scene.contract;
    let access_token = token_of(&scene.password_grant("user_info").await, "access_token");
    let introspect = |token: &str| scene.basic("/oauth/introspect", scene.client.secret()).form(&[("token", token)]);

    let active = contract.send("post", introspect(&access_token)).await;
    let revoked = contract
        .send("post", scene.basic("/oauth/revoke", scene.client.secret()).form(&[("token", access_token.as_str())]))
        .await;
    let unknown = contract
        .send("post", scene.basic("/oauth/revoke", scene.client.secret()).form(&[("token", "gat_nothing")]))
        .await;
    let inactive = contract.send("post", introspect(&access_token)).await;
    let no_token = contract.send("post", scene.basic("/oauth/revoke", scene.client.secret())).await;
    let bad_client = contract.send("post", scene.basic("/oauth/introspect", "wrong").form(&[("token", "x")])).await;
    let anonymous = contract.send("post", scene.post("/oauth/introspect").form(&[("token", "x")])).await;

    assert_eq!(active.status, 200);
    assert_eq!(active.json()["active"], true);
    assert_eq!(active.json()["username"], "ann");
    assert_eq!((revoked.status, unknown.status), (200, 200));
    assert_eq!(inactive.json(), json!({ "active": false }));
    assert_eq!((no_token.status, bad_client.status, anonymous.status), (400, 401, 401));
}

#[tokio::test]
async fn userinfo_and_the_open_api_answer_as_documented() {
    let scene = Scene::new().await;
    let contract = &scene.contract;
    let everything = token_of(&scene.password_grant("user_info emails openid profile email").await, "access_token");
    let projects_only = token_of(&scene.password_grant("projects").await, "access_token");

    let claims = contract.send("get", scene.get("/oauth/userinfo").bearer_auth(&everything)).await;
    let posted =
        contract.send("post", scene.post("/oauth/userinfo").form(&[("access_token", everything.as_str())])).await;
    let no_openid = contract.send("get", scene.get("/oauth/userinfo").bearer_auth(&projects_only)).await;
    let user = contract.send("get", scene.get("/api/v5/user").query(&[("access_token", everything.as_str())])).await;
    let patched = contract
        .send(
            "patch",
            scene.app.http.patch(scene.app.url("/api/v5/user")).bearer_auth(&everything).json(&json!({ "bio": "Hi" })),
        )
        .await;
    let refused = contract
        .send(
            "patch",
            scene
                .app
                .http
                .patch(scene.app.url("/api/v5/user"))
                .bearer_auth(&everything)
                .form(&[("blog", "javascript:x")]),
        )
        .await;
    let unreadable = contract
        .send(
            "patch",
            scene
                .app
                .http
                .patch(scene.app.url("/api/v5/user"))
                .bearer_auth(&everything)
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    let emails =
        contract.send("get", scene.get("/api/v5/emails").header("authorization", format!("token {everything}"))).await;
    let no_token = contract.send("get", scene.get("/api/v5/user")).await;
    let bad_token = contract.send("get", scene.get("/api/v5/emails").bearer_auth("gat_nothing")).await;
    let no_scope = contract.send("get", scene.get("/api/v5/emails").bearer_auth(&projects_only)).await;

    assert_eq!(claims.json()["preferred_username"], "ann");
    assert_eq!(claims.json()["email"], "ann@example.com");
    assert_eq!(posted.json(), claims.json());
    assert_eq!(no_openid.status, 403);
    assert_eq!(user.json()["login"], "ann");
    assert_eq!(patched.json()["bio"], "Hi");
    assert_eq!((refused.status, unreadable.status), (422, 400));
    assert_eq!(emails.json()[0]["state"], "unconfirmed");
    assert_eq!((no_token.status, bad_token.status, no_scope.status), (401, 401, 403));
    assert_eq!(no_token.json()["error"], Value::Null);
    assert_eq!(bad_token.json()["error"], "invalid_token");
}

#[tokio::test]
async fn the_device_flow_answers_as_documented() {
    let scene = Scene::new().await;
    let contract = &scene.contract;

    let started = contract
        .send("post", scene.basic("/oauth/device/code", scene.client.secret()).form(&[("scope", "user_info")]))
        .await;
    let device_code = token_of(&started.json(), "device_code");
    let poll = [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", device_code.as_str())];
    let pending = scene.token(&poll).await;
    let too_soon = scene.token(&poll).await;
    let unknown_client = contract.send("post", scene.post("/oauth/device/code").form(&[("client_id", "nobody")])).await;
    let bad_scope = contract
        .send("post", scene.basic("/oauth/device/code", scene.client.secret()).form(&[("scope", "nonsense")]))
        .await;

    assert_eq!(started.status, 200);
    assert_eq!(started.json()["verification_uri"], scene.app.url("/device"));
    assert_eq!(pending.json()["error"], "authorization_pending");
    assert_eq!(too_soon.json()["error"], "slow_down");
    assert_eq!((unknown_client.status, bad_scope.status), (401, 400));
}

/// The checker itself: it refuses an undocumented status, a body that does
/// not match its schema, and an undocumented field.
#[tokio::test]
async fn the_checker_refuses_what_the_document_does_not_allow() {
    let mut scene = Scene::new().await;
    let token = scene.password_grant("user_info").await;
    let answer = |status: u16, body: &Value| Answer {
        status,
        content_type: Some("application/json".to_owned()),
        body: serde_json::to_vec(body).unwrap(),
    };
    let mut extra_field = token.clone();
    extra_field["debug"] = json!("x");

    let teapot = scene.contract.check("post", "/oauth/token", &answer(418, &token));
    let extra = scene.contract.check("post", "/oauth/token", &answer(200, &extra_field));
    let as_documented = scene.contract.check("post", "/oauth/token", &answer(200, &token));
    let schemas = &mut scene.contract.document_mut()["components"]["schemas"];
    schemas["TokenResponse"]["properties"]["expires_in"] = json!({ "type": "string" });
    let retyped = scene.contract.check("post", "/oauth/token", &answer(200, &token));

    assert!(teapot.unwrap_err().contains("status 418 is not documented"));
    assert!(extra.unwrap_err().contains("debug"));
    assert_eq!(as_documented, Ok(()));
    assert!(retyped.unwrap_err().contains("expires_in"));
}
