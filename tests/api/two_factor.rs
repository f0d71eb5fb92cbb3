//! SPEC §7 "Two-factor" (RFC 6238): turning it on with a code computed here
//! from the secret the page shows, the second sign-in step with no session
//! before it, `amr` in the ID token, ±1 step, no replay (also at once),
//! recovery codes, throttling, the password grant, turning it off, CSRF on
//! every form, other users' challenges, and the security log.

use gatehouse::clock::Clock as _;
use gatehouse::domain::oidc::KeyProtection;
use gatehouse::domain::security_event::SecurityEventKind;
use reqwest::header::{COOKIE, SET_COOKIE};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::*;
use crate::oidc;

/// The text between `open` and the next `close` after it.
#[track_caller]
fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).unwrap_or_else(|| panic!("no {open} in:\n{html}")) + open.len();
    let end = html[start..].find(close).unwrap() + start;
    &html[start..end]
}

/// The secret as the setup page shows it, read as a person types it.
fn secret_shown(page: &str) -> Vec<u8> {
    let text: String = between(page, "id=\"totp-secret\" class=\"totp-secret\">", "<").split_whitespace().collect();
    Secret::Encoded(text).to_bytes().expect("base32")
}

/// What an authenticator app shows for `secret` at Unix time `time`.
fn app_code(secret: &[u8], time: i64) -> String {
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, secret.to_vec(), None, String::new()).generate(time as u64)
}

/// What two-factor authentication gave the user when it came on.
struct Enabled {
    secret: Vec<u8>,
    recovery_codes: Vec<String>,
}

async fn get(app: &TestApp, browser: &reqwest::Client, path: &str) -> reqwest::Response {
    browser.get(app.url(path)).send().await.unwrap()
}

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let response = get(app, browser, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// Presses **Enable two-factor authentication**: the setup page.
async fn begin_setup(app: &TestApp, browser: &reqwest::Client) -> String {
    let csrf = hidden_value(&page(app, browser, "/settings/security").await, "csrf_token");
    let begun = browser.post(app.url("/settings/security/two-factor/setup")).form(&[("csrf_token", csrf)]);
    let begun = begun.send().await.unwrap();
    assert_eq!(begun.status(), 303);
    assert_eq!(location(&begun).path(), "/settings/security/two-factor/setup");
    page(app, browser, "/settings/security/two-factor/setup").await
}

/// Types `code` into the setup page's **Code** and presses **Verify**.
async fn verify_setup(app: &TestApp, browser: &reqwest::Client, setup: &str, code: &str) -> reqwest::Response {
    let form = [("csrf_token", hidden_value(setup, "csrf_token")), ("code", code.to_owned())];
    browser.post(app.url("/settings/security/two-factor/enable")).form(&form).send().await.unwrap()
}

/// Turns two-factor on for the user signed in to `browser`, then moves the
/// clock to the next step (the confirming code's step is spent).
async fn enable(app: &TestApp, browser: &reqwest::Client) -> Enabled {
    let setup = begin_setup(app, browser).await;
    let secret = secret_shown(&setup);
    let shown = verify_setup(app, browser, &setup, &app_code(&secret, app.clock.now())).await;
    assert_eq!(shown.status(), 200);
    let shown = shown.text().await.unwrap();
    let list = between(&shown, "id=\"recovery-codes\">", "</ul>");
    let recovery_codes = list.split("<code>").skip(1).map(|c| c.split('<').next().unwrap().to_owned()).collect();
    app.clock.advance(30);
    Enabled { secret, recovery_codes }
}

/// A browser with `user` signed in and two-factor turned on.
async fn user_with_two_factor(app: &TestApp, login: &str) -> (TestUser, Enabled) {
    let user = app.create_user(login).await;
    let browser = app.browser();
    app.login_as(&browser, &user).await;
    let enabled = enable(app, &browser).await;
    (user, enabled)
}

/// The password step in `browser`: the answer must send it to the second step.
async fn password_step(app: &TestApp, browser: &reqwest::Client, user: &TestUser) -> reqwest::Response {
    let response = app.sign_in_attempt(browser, &user.email, &user.password).await;
    assert_eq!(response.status(), 303, "the password is right");
    assert_eq!(location(&response).path(), "/login/two-factor");
    response
}

/// Types `code` into the second step's **Code** and presses **Verify**.
async fn second_step(app: &TestApp, browser: &reqwest::Client, code: &str) -> reqwest::Response {
    let form_page = page(app, browser, "/login/two-factor").await;
    let form = [("csrf_token", hidden_value(&form_page, "csrf_token")), ("code", code.to_owned())];
    browser.post(app.url("/login/two-factor")).form(&form).send().await.unwrap()
}

/// Whether `browser` holds a session: the sessions page opens, or sends it
/// to sign in.
async fn signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    let response = get(app, browser, "/settings/sessions").await;
    match response.status().as_u16() {
        200 => true,
        302 => {
            assert_eq!(location(&response).path(), "/login");
            false
        }
        other => panic!("sessions page answered {other}"),
    }
}

async fn logged(app: &TestApp, user: &TestUser) -> Vec<SecurityEventKind> {
    app.store.list_security_events(user.user.id, 100).await.unwrap().into_iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn turning_two_factor_on_takes_the_apps_code_and_shows_ten_recovery_codes_once() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    let setup = begin_setup(&app, &browser).await;
    let secret = secret_shown(&setup);
    let wrong = verify_setup(&app, &browser, &setup, &app_code(&secret, app.clock.now() + 90)).await;
    let right = verify_setup(&app, &browser, &setup, &app_code(&secret, app.clock.now())).await;

    assert_eq!(wrong.status(), 422, "a code three steps ahead");
    assert!(wrong.text().await.unwrap().contains("That code is not right"));
    assert!(setup.contains("<svg") && setup.contains("Code") && setup.contains(">Verify<"), "QR code, Code, Verify");
    assert_eq!(right.status(), 200);
    let shown = right.text().await.unwrap();
    let codes: Vec<&str> = between(&shown, "id=\"recovery-codes\">", "</ul>").split("<code>").skip(1).collect();
    assert_eq!(codes.len(), 10, "ten recovery codes");
    let codes: std::collections::HashSet<&str> = codes.iter().map(|c| c.split('<').next().unwrap()).collect();
    assert_eq!(codes.len(), 10, "all different");
    let security = page(&app, &browser, "/settings/security").await;
    assert!(security.contains("Two-factor authentication is on") && security.contains("Unused recovery codes: 10"));
    assert!(codes.iter().all(|code| !security.contains(code)), "never shown again");
    let again = get(&app, &browser, "/settings/security/two-factor/setup").await;
    assert_eq!((again.status().as_u16(), location(&again).path().to_owned()), (302, "/settings/security".into()));
    assert_eq!(app.store.count_recovery_codes(ann.user.id).await.unwrap(), 10);
    assert_eq!(logged(&app, &ann).await[0], SecurityEventKind::TwoFactorEnabled);
}

#[tokio::test]
async fn sign_in_asks_for_a_code_and_makes_no_session_before_it() {
    let app = TestApp::spawn().await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    let browser = app.browser();

    password_step(&app, &browser, &ann).await;
    let before = signed_in(&app, &browser).await;
    let form = page(&app, &browser, "/login/two-factor").await;
    let verified = second_step(&app, &browser, &app_code(&enabled.secret, app.clock.now())).await;

    assert!(!before, "no session between the password and the code");
    assert!(form.contains("<label for=\"code\">Code</label>") && form.contains(">Verify<"));
    assert_eq!(verified.status(), 303);
    assert_eq!(location(&verified).path(), "/");
    assert!(signed_in(&app, &browser).await);
    let sessions = app.store.list_sessions(ann.user.id, app.clock.now()).await.unwrap();
    let newest = sessions.iter().map(|s| &s.record.auth).max_by_key(|a| a.time).unwrap();
    assert_eq!(newest.amr(), "pwd otp mfa");
}

#[tokio::test]
async fn a_code_sign_in_gives_id_tokens_whose_amr_is_pwd_otp_mfa() {
    let app = TestApp::spawn().await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    let client = oidc::register(&app, &ann, "openid", "RS256").await;
    let rp = oidc::relying_party(&app, &client).await;
    let browser = app.browser();

    password_step(&app, &browser, &ann).await;
    second_step(&app, &browser, &app_code(&enabled.secret, app.clock.now())).await;
    let signed = oidc::code_flow_signed_in(&app, &rp, &browser, &[]).await;

    let claims = oidc::verified(&rp, &signed, app.clock.now() - T0);
    let amr: Vec<&str> = claims.auth_method_refs().unwrap().iter().map(|a| a.as_str()).collect();
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
}

// SPEC §5 and OIDC Core §3.1.2.6: with `prompt=none`, a browser whose
// password was right and whose second step waits gets
// `interaction_required` (a page must be shown); once the challenge lapses,
// `login_required`.
#[tokio::test]
async fn prompt_none_half_way_through_signing_in_is_interaction_required() {
    let app = TestApp::spawn().await;
    let (ann, _) = user_with_two_factor(&app, "ann").await;
    let client = oidc::register(&app, &ann, "openid", "RS256").await;
    let browser = app.browser();
    let silent = [
        ("client_id", client.id()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("prompt", "none"),
        ("state", "s"),
    ];
    let error_of = |response: reqwest::Response| {
        assert_eq!(response.status(), 302);
        let callback = location(&response);
        assert!(callback.as_str().starts_with(CALLBACK), "{callback}");
        (query_value(&callback, "error").unwrap(), query_value(&callback, "state").unwrap())
    };

    password_step(&app, &browser, &ann).await;
    let pending = app.authorize(&browser, &silent).await;
    app.clock.advance(gatehouse::accounts::two_factor::CHALLENGE_TTL + 1);
    let lapsed = app.authorize(&browser, &silent).await;

    assert_eq!(error_of(pending), ("interaction_required".into(), "s".into()));
    assert_eq!(error_of(lapsed), ("login_required".into(), "s".into()));
}

#[tokio::test]
async fn codes_one_step_either_side_are_accepted_and_two_steps_are_not() {
    let app = TestApp::spawn().await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    // Two steps past the one that confirmed the setup, so the step before is unspent.
    app.clock.advance(60);

    let mut answers = vec![];
    // Oldest first: a later step spent makes every earlier one stale.
    for offset in [-60, -30, 60, 30] {
        let browser = app.browser();
        password_step(&app, &browser, &ann).await;
        let response = second_step(&app, &browser, &app_code(&enabled.secret, app.clock.now() + offset)).await;
        answers.push((offset, response.status().as_u16()));
        app.clock.advance(1);
    }

    assert_eq!(answers, [(-60, 401), (-30, 303), (60, 401), (30, 303)]);
}

#[tokio::test]
async fn a_code_is_accepted_once_also_when_sent_twice_at_once() {
    let app = TestApp::spawn().await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    let code = app_code(&enabled.secret, app.clock.now());
    let (first, second, later) = (app.browser(), app.browser(), app.browser());
    for browser in [&first, &second, &later] {
        password_step(&app, browser, &ann).await;
    }

    let (a, b) = tokio::join!(second_step(&app, &first, &code), second_step(&app, &second, &code));
    let replayed = second_step(&app, &later, &code).await;

    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 401], "exactly one of two at once");
    assert_eq!(replayed.status(), 401, "and never again");
    assert!(replayed.text().await.unwrap().contains("used already"));
    assert!(!signed_in(&app, &later).await);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_the_log_says_so() {
    let app = TestApp::spawn().await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    let code = enabled.recovery_codes[3].clone();
    let (first, second) = (app.browser(), app.browser());

    password_step(&app, &first, &ann).await;
    let used = second_step(&app, &first, &code.to_uppercase().replace('-', " ")).await;
    password_step(&app, &second, &ann).await;
    let again = second_step(&app, &second, &code).await;

    assert_eq!(used.status(), 303, "typed in capitals with spaces");
    assert_eq!(again.status(), 401, "spent");
    assert_eq!(app.store.count_recovery_codes(ann.user.id).await.unwrap(), 9);
    let kinds = logged(&app, &ann).await;
    assert_eq!(
        kinds[..3],
        [SecurityEventKind::TwoFactorFailed, SecurityEventKind::SignIn, SecurityEventKind::RecoveryCodeUsed]
    );
    let shown = page(&app, &first, "/settings/security-log").await;
    assert!(shown.contains("Signed in with a recovery code") && shown.contains("wrong two-factor code"));
}

#[tokio::test]
async fn wrong_codes_are_throttled_per_account_even_across_new_sign_ins() {
    let app = TestApp::spawn().await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    let browser = app.browser();
    password_step(&app, &browser, &ann).await;
    let right = app_code(&enabled.secret, app.clock.now());
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);

    let mut statuses = vec![];
    for _ in 0..7 {
        statuses.push(second_step(&app, &browser, &wrong).await.status().as_u16());
    }
    let fresh = app.browser();
    password_step(&app, &fresh, &ann).await;
    let locked = second_step(&app, &fresh, &right).await;
    app.clock.advance(2);
    let after_the_lock = second_step(&app, &fresh, &app_code(&enabled.secret, app.clock.now())).await;

    assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 429], "five free, the sixth locks");
    assert_eq!(locked.status(), 429, "a new password step does not reset the codes' count");
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(after_the_lock.status(), 303);
    let metrics = app.state.metrics.render(app.store.pool_usage());
    for (result, count) in
        [("two_factor_required", 2), ("two_factor_failure", 6), ("two_factor_throttled", 2), ("two_factor_success", 1)]
    {
        let line = format!("gatehouse_sign_ins_total{{result=\"{result}\"}} {count}");
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }
    assert!(metrics.lines().any(|l| l == "gatehouse_throttled_total{kind=\"two_factor\"} 2"));
}

#[tokio::test]
async fn the_password_grant_refuses_an_account_with_two_factor_on_and_says_why() {
    let app = TestApp::spawn().await;
    let (ann, _) = user_with_two_factor(&app, "ann").await;
    let client = app.register_client(&ann, "user_info").await;

    let refused = app.password_attempt(&client, &ann.email, &ann.password).await;
    let wrong = app.password_attempt(&client, &ann.email, "not her password").await;

    let body = assert_oauth_error(refused, 400, "invalid_grant").await;
    let why = body["error_description"].as_str().unwrap();
    assert!(why.contains("two-factor") && why.contains("authorization code flow"), "{why}");
    let wrong = assert_oauth_error(wrong, 400, "invalid_grant").await;
    assert!(!wrong["error_description"].as_str().unwrap().contains("two-factor"), "only the password tells");
}

/// Types `password` on the security page and presses the button that turns
/// two-factor off.
async fn turn_off(app: &TestApp, browser: &reqwest::Client, password: &str) -> reqwest::Response {
    let csrf = hidden_value(&page(app, browser, "/settings/security").await, "csrf_token");
    let form = [("csrf_token", csrf), ("password", password.to_owned())];
    browser.post(app.url("/settings/security/two-factor/disable")).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn turning_two_factor_off_needs_the_password() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    enable(&app, &browser).await;

    let wrong = turn_off(&app, &browser, "not her password").await;
    let wrong_status = wrong.status();
    let wrong_page = wrong.text().await.unwrap();
    let still_on = app.store.find_two_factor(ann.user.id).await.unwrap().is_some();
    let right = turn_off(&app, &browser, &ann.password).await;

    assert_eq!(wrong_status, 401);
    assert!(wrong_page.contains("Incorrect password") && still_on);
    assert_eq!(right.status(), 303);
    let after = location(&right);
    let after = format!("{}?{}", after.path(), after.query().unwrap());
    let shown = page(&app, &browser, &after).await;
    assert!(shown.contains("Two-factor authentication is off.") && shown.contains("Enable two-factor authentication"));
    assert!(app.store.find_two_factor(ann.user.id).await.unwrap().is_none());
    assert_eq!(app.store.count_recovery_codes(ann.user.id).await.unwrap(), 0);
    let plain = app.sign_in_attempt(&app.browser(), &ann.email, &ann.password).await;
    assert_eq!(location(&plain).path(), "/", "no second step any more");
    assert_eq!(logged(&app, &ann).await[..2], [SecurityEventKind::SignIn, SecurityEventKind::TwoFactorDisabled]);
}

#[tokio::test]
async fn every_two_factor_form_refuses_a_missing_or_wrong_csrf_token() {
    let app = TestApp::spawn().await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    let bob = app.create_user("bob").await;
    let bobs = app.browser();
    app.login_as(&bobs, &bob).await;
    let setup = begin_setup(&app, &bobs).await;
    let bobs_code = app_code(&secret_shown(&setup), app.clock.now());
    let anns = app.browser();
    password_step(&app, &anns, &ann).await;
    let anns_code = app_code(&enabled.secret, app.clock.now());

    let mut statuses = vec![];
    for csrf in [None, Some("forged")] {
        let with = |mut form: Vec<(&'static str, String)>| {
            form.extend(csrf.map(|c| ("csrf_token", c.to_owned())));
            form
        };
        for (browser, path, form) in [
            (&bobs, "/settings/security/two-factor/setup", with(vec![])),
            (&bobs, "/settings/security/two-factor/enable", with(vec![("code", bobs_code.clone())])),
            (&bobs, "/settings/security/two-factor/disable", with(vec![("password", bob.password.clone())])),
            (&anns, "/login/two-factor", with(vec![("code", anns_code.clone())])),
        ] {
            statuses.push(browser.post(app.url(path)).form(&form).send().await.unwrap().status().as_u16());
        }
    }

    assert_eq!(statuses, [403; 8]);
    assert!(app.store.find_two_factor(bob.user.id).await.unwrap().unwrap().enabled_at.is_none(), "bob's not on");
    assert!(!signed_in(&app, &anns).await, "ann not signed in");
}

/// The challenge cookie the password step set.
fn challenge_cookie(response: &reqwest::Response) -> String {
    let cookies = response.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned());
    cookies.filter_map(|c| c.split(';').next().map(str::to_owned)).find(|c| c.starts_with("gatehouse_2fa=")).unwrap()
}

/// Posts the second step with exactly `cookie` as the challenge.
async fn second_step_with(app: &TestApp, cookie: &str, code: &str) -> reqwest::Response {
    let form = [("csrf_token", "double-submit"), ("code", code)];
    let cookies = format!("{cookie}; gatehouse_csrf=double-submit");
    app.http.post(app.url("/login/two-factor")).header(COOKIE, cookies).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn another_users_challenge_cookie_is_useless() {
    let app = TestApp::spawn().await;
    let (ann, _) = user_with_two_factor(&app, "ann").await;
    let (bob, bobs) = user_with_two_factor(&app, "bob").await;
    let anns_challenge = challenge_cookie(&password_step(&app, &app.browser(), &ann).await);
    let bobs_challenge = challenge_cookie(&password_step(&app, &app.browser(), &bob).await);
    let bobs_code = app_code(&bobs.secret, app.clock.now());

    let on_anns = second_step_with(&app, &anns_challenge, &bobs_code).await;
    let recovery_on_anns = second_step_with(&app, &anns_challenge, &bobs.recovery_codes[0]).await;
    let on_his = second_step_with(&app, &bobs_challenge, &bobs_code).await;

    assert_eq!(on_anns.status(), 401, "bob's code does not answer ann's challenge");
    assert_eq!(recovery_on_anns.status(), 401, "nor his recovery code");
    assert_eq!(on_his.status(), 303, "it answers his own");
    assert!(app.store.list_sessions(ann.user.id, app.clock.now()).await.unwrap().len() == 1, "ann's own only");
    assert!(
        app.http
            .get(app.url("/login/two-factor"))
            .header(COOKIE, "gatehouse_2fa=gtf_made-up")
            .send()
            .await
            .unwrap()
            .status()
            == 302,
        "a made-up challenge is none"
    );
}

#[tokio::test]
async fn a_challenge_lapses_after_five_minutes() {
    let app = TestApp::spawn().await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    let browser = app.browser();
    password_step(&app, &browser, &ann).await;

    app.clock.advance(301);
    let lapsed = browser.get(app.url("/login/two-factor")).send().await.unwrap();

    assert_eq!(lapsed.status(), 302);
    assert_eq!(location(&lapsed).path(), "/login");
    let csrf = hidden_value(&page(&app, &browser, "/login").await, "csrf_token");
    let form = [("csrf_token", csrf), ("code", app_code(&enabled.secret, app.clock.now()))];
    let posted = browser.post(app.url("/login/two-factor")).form(&form).send().await.unwrap();
    assert_eq!(location(&posted).path(), "/login", "no sign-in: start again");
    assert!(!signed_in(&app, &browser).await);
}

#[tokio::test]
async fn secrets_are_sealed_with_the_key_encryption_key_and_still_sign_in() {
    let app = TestApp::spawn_with(|s| {
        s.key_encryption_key = Some(gatehouse::keys::KeyEncryptionKey::new("test-key-encryption-key-0123456789abcdef"))
    })
    .await;
    let (ann, enabled) = user_with_two_factor(&app, "ann").await;
    let browser = app.browser();

    password_step(&app, &browser, &ann).await;
    let verified = second_step(&app, &browser, &app_code(&enabled.secret, app.clock.now())).await;

    let stored = app.store.find_two_factor(ann.user.id).await.unwrap().unwrap();
    assert_eq!(stored.protection, KeyProtection::Aes256Gcm);
    assert!(!stored.secret.0.windows(enabled.secret.len()).any(|w| w == enabled.secret), "not in the clear");
    assert_eq!(verified.status(), 303);
}

/// The store's two-factor methods as the trait says, on either backend:
/// setups replace only unconfirmed setups, steps only go forward, recovery
/// codes and challenges are spent once, the purge takes lapsed ones.
#[tokio::test]
async fn the_stores_two_factor_methods_behave_as_the_trait_says() {
    use gatehouse::domain::oidc::KeyMaterial;
    use gatehouse::domain::security_event::SecurityEvent;
    use gatehouse::domain::token::{PlainSecret, SecretKind};
    use gatehouse::store::{Store, TwoFactorChallenge};

    let app = TestApp::spawn().await;
    let store: &dyn Store = &*app.store;
    let ann = app.create_user("ann").await;
    let id = ann.user.id;
    let event = |kind| SecurityEvent::new(id, kind, None);
    let (first, second) = (KeyMaterial(vec![1; 20]), KeyMaterial(vec![2; 20]));
    let codes = [PlainSecret::from_presented("one").hash(), PlainSecret::from_presented("two").hash()];

    assert!(store.begin_two_factor_setup(id, &first, KeyProtection::None, T0).await.unwrap());
    assert!(store.begin_two_factor_setup(id, &second, KeyProtection::None, T0 + 1).await.unwrap(), "replaced");
    let enabled = event(SecurityEventKind::TwoFactorEnabled);
    let enable = |secret| store.enable_two_factor(id, secret, 7, &codes, &enabled, T0);
    assert!(!enable(&first).await.unwrap(), "not the setup waiting");
    assert!(enable(&second).await.unwrap());
    assert!(!enable(&second).await.unwrap(), "on already");
    assert!(
        !store.begin_two_factor_setup(id, &first, KeyProtection::None, T0).await.unwrap(),
        "never over an enabled one"
    );
    let stored = store.find_two_factor(id).await.unwrap().unwrap();
    assert_eq!((stored.secret, stored.enabled_at, stored.last_used_step), (second, Some(T0), 7));

    let spends: Vec<bool> = spend_in_turn(store, id, [7, 8, 8, 6, 10]).await;
    assert_eq!(spends, [false, true, false, false, true], "only forward");
    let used = event(SecurityEventKind::RecoveryCodeUsed);
    assert!(store.spend_recovery_code(id, &codes[0], &used, T0).await.unwrap());
    assert!(!store.spend_recovery_code(id, &codes[0], &used, T0).await.unwrap(), "once");
    assert_eq!(store.count_recovery_codes(id).await.unwrap(), 1);

    let challenge = PlainSecret::generate(SecretKind::TwoFactorChallenge).hash();
    let parked = TwoFactorChallenge { user_id: id, return_to: "/after".into(), expires_at: T0 + 300 };
    store.insert_two_factor_challenge(&challenge, &parked).await.unwrap();
    assert_eq!(store.find_two_factor_challenge(&challenge, T0).await.unwrap(), Some(parked.clone()));
    assert_eq!(store.find_two_factor_challenge(&challenge, T0 + 300).await.unwrap(), None, "lapsed");
    assert!(store.take_two_factor_challenge(&challenge, T0).await.unwrap());
    assert!(!store.take_two_factor_challenge(&challenge, T0).await.unwrap(), "once");
    let lapsing = PlainSecret::generate(SecretKind::TwoFactorChallenge).hash();
    store.insert_two_factor_challenge(&lapsing, &parked).await.unwrap();
    store.purge_expired(T0 + 301, 1000).await.unwrap();
    assert!(!store.take_two_factor_challenge(&lapsing, T0).await.unwrap(), "purged");

    assert!(store.disable_two_factor(id, &event(SecurityEventKind::TwoFactorDisabled), T0).await.unwrap());
    assert!(!store.disable_two_factor(id, &event(SecurityEventKind::TwoFactorDisabled), T0).await.unwrap());
    assert_eq!(store.count_recovery_codes(id).await.unwrap(), 0);
    assert!(!store.spend_totp_step(id, 99).await.unwrap(), "nothing to spend once off");
    store.begin_two_factor_setup(id, &first, KeyProtection::None, T0).await.unwrap();
    store.purge_expired(T0 + 86_401, 1000).await.unwrap();
    assert!(store.find_two_factor(id).await.unwrap().is_none(), "a setup unconfirmed for a day is purged");
}

/// Spends each step in turn.
async fn spend_in_turn(
    store: &dyn gatehouse::store::Store,
    id: gatehouse::domain::user::UserId,
    steps: [i64; 5],
) -> Vec<bool> {
    let mut spent = vec![];
    for step in steps {
        spent.push(store.spend_totp_step(id, step).await.unwrap());
    }
    spent
}

#[tokio::test]
async fn odd_codes_get_a_readable_4xx_page_never_a_5xx() {
    let app = TestApp::spawn().await;
    let (ann, _) = user_with_two_factor(&app, "ann").await;
    let bob = app.create_user("bob").await;
    let bobs = app.browser();
    app.login_as(&bobs, &bob).await;
    let setup = begin_setup(&app, &bobs).await;
    let anns = app.browser();
    password_step(&app, &anns, &ann).await;
    let anns_csrf = hidden_value(&page(&app, &anns, "/login/two-factor").await, "csrf_token");
    let long = "7".repeat(5_000);
    let codes = ["%00", "%FF%FE", "12%0A3456", "１２３４５６", "' OR 1=1 --", "x%3Cscript%3E", long.as_str(), ""];

    for code in codes {
        for (browser, path, csrf) in [
            (&anns, "/login/two-factor", anns_csrf.as_str()),
            (&bobs, "/settings/security/two-factor/enable", &hidden_value(&setup, "csrf_token")),
        ] {
            let body = format!("csrf_token={}&code={code}", urlencode(csrf));
            let response = browser
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            assert!(status.is_client_error(), "{code:.20} to {path}: {status}");
            let html = response.text().await.unwrap();
            assert!(html.contains("<h1>") && !html.contains("<script>"), "{code:.20} to {path}: a page");
        }
    }
    assert!(!signed_in(&app, &anns).await);
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
