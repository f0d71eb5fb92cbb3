//! What the Authlib and openid-client tests share: the docs' app started
//! against Gatehouse with its own application, refusing forged callbacks,
//! then signing a person in and showing the ID token's verified claims and
//! UserInfo.

use tokio::process::Command;

use crate::gatehouse::Gatehouse;
use crate::helpers::query_value;
use crate::person::Person;
use crate::process::{Service, free_port};

/// Runs the story against the app that `command` starts; the docs' apps read
/// `GATEHOUSE_URL`, `PORT`, `CLIENT_ID` and `CLIENT_SECRET` from the
/// environment (with the docs' values as defaults).
pub async fn signs_in_with_a_verified_id_token_and_reads_userinfo(name: &str, mut command: Command) {
    let gatehouse = Gatehouse::start().await;
    let ann = gatehouse.create_user("ann").await;
    let port = free_port();
    let app = format!("http://127.0.0.1:{port}");
    let registered = gatehouse.create_app(&ann, name, &format!("{app}/callback")).await;
    let mut server = Service::spawn(
        name,
        command
            .env("GATEHOUSE_URL", &gatehouse.issuer)
            .env("PORT", port.to_string())
            .env("CLIENT_ID", &registered.client_id)
            .env("CLIENT_SECRET", &registered.client_secret),
    );
    server.wait_for_port(port).await;
    let log = || server.output();

    // A stranger's callbacks that the app did not start, or whose code
    // Gatehouse never issued, sign nobody in.
    let stranger = Person::new();
    let sign_in = stranger.visit(&format!("{app}/login")).await;
    assert!(sign_in.is_sign_in(&gatehouse), "{}: {}\n{}", sign_in.url, sign_in.body, log());
    let forged = stranger.visit(&format!("{app}/callback?code=gac_forged&state=not-the-state")).await;
    assert_eq!((forged.status, forged.body.starts_with("Sign-in failed")), (400, true), "{}", forged.body);
    let sign_in = stranger.visit(&format!("{app}/login")).await;
    let state = query_value(&sign_in.authorization_request(&gatehouse), "state").unwrap();
    let forged = stranger.visit(&format!("{app}/callback?code=gac_forged&state={state}")).await;
    assert_eq!((forged.status, forged.body.starts_with("Sign-in failed")), (400, true), "{}", forged.body);
    let home = stranger.visit(&format!("{app}/")).await;
    assert!(home.body.contains("Sign in with Gatehouse"), "{}", home.body);

    let ann_browser = Person::new();
    let sign_in = ann_browser.visit(&format!("{app}/login")).await;
    let request = sign_in.authorization_request(&gatehouse);
    let page = ann_browser.sign_in_and_authorize(&gatehouse, &sign_in, &ann).await;

    let param = |name: &str| query_value(&request, name).unwrap_or_default();
    assert_eq!(param("client_id"), registered.client_id);
    assert_eq!(param("redirect_uri"), format!("{app}/callback"));
    assert_eq!(param("scope"), "openid profile email");
    assert_eq!(param("code_challenge_method"), "S256");
    assert_eq!(page.url.as_str(), format!("{app}/"), "{}\n{}", page.body, log());
    assert_eq!(page.status, 200, "{}\n{}", page.body, log());
    let user = page.json();
    let id_token = &user["id_token"];
    assert_eq!(id_token["iss"], gatehouse.issuer.as_str());
    assert_eq!(id_token["aud"], registered.client_id.as_str());
    assert_eq!(id_token["sub"], ann.sub.as_str());
    assert_eq!(id_token["nonce"], param("nonce").as_str(), "the nonce the app sent, which it checked");
    assert!(!param("nonce").is_empty());
    assert_eq!(id_token["preferred_username"], ann.login.as_str());
    assert_eq!(id_token["email"], ann.email.as_str());
    let userinfo = &user["userinfo"];
    assert_eq!(userinfo["sub"], ann.sub.as_str());
    assert_eq!(userinfo["preferred_username"], ann.login.as_str());
    assert_eq!(userinfo["email"], ann.email.as_str());
    // The app's session keeps her signed in.
    let again = ann_browser.visit(&format!("{app}/")).await;
    assert_eq!(again.json()["userinfo"]["sub"], ann.sub.as_str());
}
