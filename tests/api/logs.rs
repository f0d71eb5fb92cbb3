//! SPEC §4 "Logs never contain a secret, token, code or password, also when
//! a client puts them in the query string": a full run of the real binary at
//! the most verbose log level, then a search of everything it printed.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{USER_AGENT, hidden_value, location, query_value};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

#[tokio::test]
async fn no_secret_used_in_a_full_run_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("logs.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = tokio::process::Command::new(BIN)
        .args(["--database-url", &db, "serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut logs = String::new();
    while let Some(line) = stdout.next_line().await.unwrap() {
        logs.push_str(&line);
        logs.push('\n');
        if line.contains("gatehouse is listening") {
            break;
        }
    }
    let collector = tokio::spawn(async move {
        let mut rest = String::new();
        while let Ok(Some(line)) = stdout.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        rest
    });
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .unwrap();
    let password = "a very secret password 42";
    let mut secrets = vec![password.to_owned()];

    // Sign up in the pages, register an application, sign in again.
    let page = browser.get(format!("{base}/signup")).send().await.unwrap().text().await.unwrap();
    secrets.push(hidden_value(&page, "csrf_token"));
    let signed_up = browser
        .post(format!("{base}/signup"))
        .form(&[
            ("email", "ann@example.com"),
            ("username", "ann"),
            ("password", password),
            ("csrf_token", &hidden_value(&page, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();
    for cookie in signed_up.cookies() {
        secrets.push(cookie.value().to_owned());
    }
    let form = browser.get(format!("{base}/settings/applications/new")).send().await.unwrap().text().await.unwrap();
    let created = browser
        .post(format!("{base}/settings/applications"))
        .form(&[
            ("csrf_token", hidden_value(&form, "csrf_token").as_str()),
            ("name", "Logged App"),
            ("redirect_uris", "https://client.example.com/cb"),
            ("scope_user_info", "on"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let client_id = value_of(&created, "client_id");
    let client_secret = value_of(&created, "client_secret");
    secrets.push(client_secret.clone());

    // The code flow with everything in the query string, as the seed shows it.
    let consent = browser
        .get(format!("{base}/oauth/authorize?client_id={client_id}&redirect_uri=https://client.example.com/cb&response_type=code&state=st"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    secrets.push(hidden_value(&consent, "consent_id"));
    let approved = browser
        .post(format!("{base}/oauth/authorize"))
        .form(&[
            ("consent_id", hidden_value(&consent, "consent_id")),
            ("csrf_token", hidden_value(&consent, "csrf_token")),
            ("decision", "authorize".into()),
        ])
        .send()
        .await
        .unwrap();
    let code = query_value(&location(&approved), "code").unwrap();
    secrets.push(code.clone());
    let tokens: serde_json::Value = browser
        .post(format!(
            "{base}/oauth/token?grant_type=authorization_code&code={code}&client_id={client_id}&redirect_uri=https://client.example.com/cb&client_secret={client_secret}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    secrets.push(tokens["access_token"].as_str().unwrap().to_owned());
    secrets.push(refresh.clone());
    let refreshed: serde_json::Value = browser
        .post(format!("{base}/oauth/token?grant_type=refresh_token&refresh_token={refresh}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = refreshed["access_token"].as_str().unwrap().to_owned();
    secrets.push(access.clone());
    secrets.push(refreshed["refresh_token"].as_str().unwrap().to_owned());
    browser.post(format!("{base}/oauth/token?grant_type=refresh_token&refresh_token={refresh}")).send().await.unwrap();

    // The password grant (and a failing one), the API, introspection, revocation.
    let granted: serde_json::Value = browser
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "ann@example.com"),
            ("password", password),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let granted_access = granted["access_token"].as_str().unwrap().to_owned();
    secrets.push(granted_access.clone());
    browser
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "ann@example.com"),
            ("password", "wrong secret guess"),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
        ])
        .send()
        .await
        .unwrap();
    secrets.push("wrong secret guess".to_owned());
    assert_eq!(
        browser.get(format!("{base}/api/v5/user?access_token={granted_access}")).send().await.unwrap().status(),
        200
    );
    browser.get(format!("{base}/api/v5/user")).bearer_auth(&access).send().await.unwrap();
    browser
        .post(format!("{base}/oauth/introspect"))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[("token", &granted_access)])
        .send()
        .await
        .unwrap();
    browser
        .post(format!("{base}/oauth/revoke?token={granted_access}&client_id={client_id}&client_secret={client_secret}"))
        .send()
        .await
        .unwrap();

    // The device grant: codes in the response, the user code in the page's
    // query and form, the device code in the poll.
    let started: serde_json::Value = browser
        .post(format!("{base}/oauth/device/code"))
        .form(&[("client_id", &client_id), ("client_secret", &client_secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_code = started["device_code"].as_str().unwrap().to_owned();
    let user_code = started["user_code"].as_str().unwrap().to_owned();
    secrets.extend([device_code.clone(), user_code.clone(), user_code.replace('-', "")]);
    let page = browser.get(format!("{base}/device?user_code={user_code}")).send().await.unwrap().text().await.unwrap();
    let consent = browser
        .post(format!("{base}/device"))
        .form(&[("user_code", user_code.to_lowercase()), ("csrf_token", hidden_value(&page, "csrf_token"))])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let decided = browser
        .post(format!("{base}/device/consent"))
        .form(&[
            ("user_code", hidden_value(&consent, "user_code")),
            ("csrf_token", hidden_value(&consent, "csrf_token")),
            ("decision", "authorize".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 303, "the device was approved");
    let polled: serde_json::Value = browser
        .post(format!(
            "{base}/oauth/token?grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={device_code}&client_id={client_id}&client_secret={client_secret}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.push(polled["access_token"].as_str().unwrap().to_owned());
    secrets.push(polled["refresh_token"].as_str().unwrap().to_owned());
    // Two-factor: turned on with a code of the secret shown, then a sign-in
    // that gives a wrong code and a recovery code.
    two_factor(&base, &browser, password, &mut secrets).await;

    // Request ids: a well-formed one is kept, anything else replaced; an
    // error is logged once, under the request's id.
    let kept = browser.get(format!("{base}/")).header("x-request-id", "logs-test-kept-1").send().await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "logs-test-kept-1");
    let replaced = browser.get(format!("{base}/")).header("x-request-id", "not ok;<>").send().await.unwrap();
    let new_id = replaced.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(new_id.len() == 36 && new_id != "not ok;<>", "{new_id}");
    let refused = browser
        .post(format!("{base}/oauth/token"))
        .header("x-request-id", "logs-test-error-1")
        .form(&[("grant_type", "bogus"), ("client_id", client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.headers()["x-request-id"], "logs-test-error-1");

    tokio::process::Command::new("kill").args(["-TERM", &server.id().unwrap().to_string()]).status().await.unwrap();
    server.wait().await.unwrap();
    logs.push_str(&collector.await.unwrap());
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).await.unwrap();
    logs.push_str(&stderr);

    assert!(logs.contains("token issued") && logs.contains("account created"), "audit events are logged");
    assert!(logs.contains("device authorization started"), "the device grant is audited");
    assert!(logs.contains("two-factor code refused") && logs.contains("two-factor authentication turned on"));
    assert!(logs.contains("token request refused"), "refusals are audited");
    let error_lines: Vec<&str> = logs.lines().filter(|l| l.contains("logs-test-error-1")).collect();
    let logged_once = error_lines.iter().filter(|l| l.contains("gatehouse::web::boundary")).count();
    assert_eq!(logged_once, 1, "the error is logged exactly once: {error_lines:#?}");
    assert!(
        error_lines.iter().any(|l| l.contains("token request refused") && l.contains("event=\"token_refused\"")),
        "the audit event carries the request id: {error_lines:#?}"
    );
    assert!(error_lines.len() >= 3, "every line of the request carries its id: {error_lines:#?}");
    assert!(logs.contains(&new_id), "a generated id is in the logs");
    for secret in &secrets {
        assert!(secret.len() >= 8, "a real secret: {secret}");
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs: {secret}");
    }
}

/// Turns two-factor on for the signed-in `browser` and signs in again with
/// a recovery code; every secret of it joins `secrets`. The six-digit codes
/// do not: six digits turn up in any log's timestamps.
async fn two_factor(base: &str, browser: &reqwest::Client, password: &str, secrets: &mut Vec<String>) {
    use gatehouse::clock::Clock as _;
    let security = browser.get(format!("{base}/settings/security")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_value(&security, "csrf_token");
    let form = [("csrf_token", csrf.as_str())];
    browser.post(format!("{base}/settings/security/two-factor/setup")).form(&form).send().await.unwrap();
    let setup = browser.get(format!("{base}/settings/security/two-factor/setup")).send().await.unwrap();
    let setup = setup.text().await.unwrap();
    let start = setup.find("class=\"totp-secret\">").unwrap() + "class=\"totp-secret\">".len();
    let secret: String = setup[start..].split('<').next().unwrap().split_whitespace().collect();
    let bytes = totp_rs::Secret::Encoded(secret.clone()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, bytes, None, String::new());
    // The real binary runs on the real clock.
    let code = totp.generate(gatehouse::clock::SystemClock.now() as u64);
    let form = [("csrf_token", csrf.as_str()), ("code", code.as_str())];
    let shown = browser.post(format!("{base}/settings/security/two-factor/enable")).form(&form).send().await.unwrap();
    let shown = shown.text().await.unwrap();
    let recovery: Vec<String> =
        shown.split("<li><code>").skip(1).map(|c| c.split('<').next().unwrap().to_owned()).collect();
    assert_eq!(recovery.len(), 10, "two-factor is on");
    secrets.push(secret);
    secrets.extend(recovery.iter().cloned());

    let other = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .unwrap();
    let login = other.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_value(&login, "csrf_token");
    let form = [("email", "ann@example.com"), ("password", password), ("csrf_token", csrf.as_str())];
    let challenged = other.post(format!("{base}/login")).form(&form).send().await.unwrap();
    secrets.extend(challenged.cookies().map(|c| c.value().to_owned()));
    for answer in ["000000", recovery[0].as_str()] {
        let form = [("csrf_token", csrf.as_str()), ("code", answer)];
        other.post(format!("{base}/login/two-factor")).form(&form).send().await.unwrap();
    }
    let signed_in = other.get(format!("{base}/settings/sessions")).send().await.unwrap();
    assert_eq!(signed_in.status(), 200, "the recovery code signed in");
}

fn value_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\" class=\"secret\" readonly value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {id}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}
