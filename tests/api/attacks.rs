//! Attacks on credentials (RFC 9700 §4.16, RFC 6819 §4.4.3.6 and §5.1.4.2.3):
//! each test plays the attack and fails without the protection.

use crate::helpers::*;

/// A wrong-password grant as if relayed by a proxy that sent `forwarded`.
async fn forwarded_guess(app: &TestApp, client: &TestClient, email: &str, forwarded: &str) -> reqwest::Response {
    app.password_request(client, email, "guess").header("x-forwarded-for", forwarded).send().await.unwrap()
}

#[tokio::test]
async fn password_grant_throttled() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    for _ in 0..5 {
        assert_eq!(app.password_attempt(&client, &ann.email, "guess").await.status(), 400);
    }

    let guess = app.password_attempt(&client, &ann.email, "guess").await;
    let rightful = app.password_attempt(&client, &ann.email, PASSWORD).await;

    assert_eq!(guess.status(), 400, "the sixth failure is counted and sets the first lock");
    assert_eq!(rightful.headers()["retry-after"], "1");
    assert_oauth_error(rightful, 429, "invalid_grant").await;
    app.clock.advance(1);
    assert_eq!(app.password_attempt(&client, &ann.email, PASSWORD).await.status(), 200);
    assert_eq!(app.password_attempt(&client, &ann.email, "guess").await.status(), 400, "success reset the count");
}

#[tokio::test]
async fn sign_in_throttled_with_growing_back_off_that_expires() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    let mut locks = Vec::new();
    for _ in 0..10 {
        let response = app.sign_in_attempt(&browser, &ann.email, "guess").await;
        if response.status() == 429 {
            let wait: i64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            locks.push(wait);
            app.clock.advance(wait);
        }
    }
    for _ in 0..10 {
        app.clock.advance(900);
        app.sign_in_attempt(&browser, &ann.email, "guess").await;
    }

    let locked = app.sign_in_attempt(&browser, &ann.email, PASSWORD).await;
    assert_eq!(locked.status(), 429);
    assert_eq!(locked.headers()["retry-after"], "900", "the back-off is capped");
    assert!(locked.text().await.unwrap().contains("Too many failed attempts"));
    assert!(!locks.is_empty() && locks.windows(2).all(|w| w[1] == w[0] * 2), "{locks:?}");
    app.clock.advance(900);
    assert_eq!(
        app.sign_in_attempt(&browser, &ann.email, PASSWORD).await.status(),
        303,
        "the owner is never locked out for long"
    );
}

#[tokio::test]
async fn guessing_many_accounts_from_one_address_is_throttled() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    for i in 0..21 {
        app.password_attempt(&client, &format!("victim{i}@example.com"), "guess").await;
    }

    let next = app.password_attempt(&client, "another@example.com", "guess").await;

    assert_eq!(next.status(), 429);
}

#[tokio::test]
async fn throttling_treats_unknown_and_known_accounts_alike() {
    let app = TestApp::spawn_with(|s| s.trust_forwarded_for = true).await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let mut answers = Vec::new();
    for (email, address) in [(ann.email.as_str(), "198.51.100.1"), ("ghost@example.com", "198.51.100.2")] {
        let mut statuses = Vec::new();
        for _ in 0..7 {
            statuses.push(forwarded_guess(&app, &client, email, address).await.status().as_u16());
        }
        answers.push(statuses);
    }

    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], [400, 400, 400, 400, 400, 400, 429]);
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_the_operator_trusts_a_proxy() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    for i in 0..21 {
        forwarded_guess(&app, &client, &format!("v{i}@example.com"), &format!("203.0.113.{i}")).await;
    }

    let next = app.password_attempt(&client, "other@example.com", "guess").await;

    assert_eq!(next.status(), 429, "a spoofed header must not spread guesses over fake addresses");
}

#[tokio::test]
async fn clickjacking_of_the_consent_page_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;

    let consent = app
        .authorize(&browser, &[("client_id", client.id()), ("redirect_uri", CALLBACK), ("response_type", "code")])
        .await;

    assert_eq!(consent.status(), 200);
    assert_eq!(consent.headers()["x-frame-options"], "DENY");
    assert!(consent.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn code_leak_through_referrer_or_caches_prevented() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let consent = app
        .authorize(
            &browser,
            &[
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("scope", "user_info"),
            ],
        )
        .await;
    let approved = app.decide(&browser, &consent.text().await.unwrap(), "authorize").await;
    let skipped = app
        .authorize(
            &browser,
            &[
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("scope", "user_info"),
            ],
        )
        .await;

    for response in [&approved, &skipped] {
        assert!(query_value(&location(response), "code").is_some());
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    }
    assert_eq!(approved.status(), 303, "never 307 after a form post (RFC 9700 §4.12)");
}

#[tokio::test]
async fn stolen_refresh_token_of_another_client_refused() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let victim = app.register_client(&ann, "user_info").await;
    let thief = app.register_client(&ann, "user_info").await;
    let tokens = app.password_grant(&ann, &victim, "user_info").await;

    let response = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", thief.id()),
            ("client_secret", thief.secret()),
        ])
        .await;

    assert_oauth_error(response, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_cannot_slip_past_the_lock() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let request = app.password_request(&client, &ann.email, "guess");
        burst.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }

    let statuses = burst.join_all().await;
    let rightful = app.password_attempt(&client, &ann.email, PASSWORD).await;

    let checked = statuses.iter().filter(|&&s| s == 400).count();
    assert!(checked <= 6, "at most the threshold and one more are checked: {statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 40 - checked);
    assert_eq!(rightful.status(), 429);
}

#[tokio::test]
async fn only_the_proxys_own_forwarded_entry_is_believed() {
    let app = TestApp::spawn_with(|s| s.trust_forwarded_for = true).await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    for i in 0..21 {
        // The client writes an address of its choice first; the proxy's
        // entry ("unknown" here) does not parse, so the peer is used.
        forwarded_guess(&app, &client, &format!("v{i}@example.com"), &format!("203.0.113.{i}, unknown")).await;
    }

    let next = app.password_attempt(&client, "other@example.com", "guess").await;

    assert_eq!(next.status(), 429);
}

#[tokio::test]
async fn sixteen_parallel_right_password_grants_all_succeed() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let request = app.password_request(&client, &ann.email, PASSWORD);
        burst.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }

    let statuses = burst.join_all().await;

    assert_eq!(statuses, vec![200; 16], "right passwords are never refused for their concurrency");
}

#[tokio::test]
async fn sixteen_parallel_right_password_sign_ins_all_succeed() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let browser = app.browser();
        let page = browser.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden_value(&page, "csrf_token");
        let request = browser.post(app.url("/login")).form(&[
            ("email", ann.email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ]);
        burst.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }

    let statuses = burst.join_all().await;

    assert_eq!(statuses, vec![303; 16], "every tab signs in");
}

#[tokio::test]
async fn right_and_wrong_passwords_in_one_burst_each_get_their_own_answer() {
    // A few wrong guesses (fewer than the threshold) mixed into a burst of
    // right passwords: every right password gets its token and every guess
    // is checked and refused as a wrong password, none as throttled.
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..12 {
        let password = if i % 4 == 0 { "guess" } else { PASSWORD };
        let request = app.password_request(&client, &ann.email, password);
        burst.spawn(async move { (password == PASSWORD, request.send().await.unwrap().status().as_u16()) });
    }

    let results = burst.join_all().await;

    for (right, status) in results {
        assert_eq!(status, if right { 200 } else { 400 });
    }
}

#[tokio::test]
async fn attempts_whose_clients_hang_up_mid_check_still_settle() {
    // Clients that drop their connection while the password is being checked
    // must not leave their attempts holding the account's budget (the owner
    // would then wait and be refused although nothing was locked).
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let key = format!("account:{}", ann.email);
    let mut state = Default::default();
    // A client must hang up after its attempt was admitted: on a busy
    // machine 15 ms may end before the request gets that far, so the
    // patience grows until a burst has hung-up attempts that counted.
    for patience_ms in [15, 30, 60, 120, 240, 480] {
        let impatient = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(std::time::Duration::from_millis(patience_ms))
            .build()
            .unwrap();
        let mut burst = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let request = impatient.post(app.url("/oauth/token")).form(&[
                ("grant_type", "password"),
                ("username", ann.email.as_str()),
                ("password", "guess"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
            ]);
            burst.spawn(async move { request.send().await.is_err() });
        }
        let hung_up = burst.join_all().await.into_iter().filter(|&gone| gone).count();
        for _ in 0..200 {
            state = app.store.find_throttle(&key).await.unwrap().unwrap_or_default();
            if state.in_flight == 0 && state.failures > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        if hung_up > 0 && state.failures > 0 {
            break;
        }
    }

    assert_eq!(state.in_flight, 0, "every abandoned attempt was settled: {state:?}");
    assert!(state.failures > 0, "as the failure it was: {state:?}");
    assert_eq!(app.password_attempt(&client, &ann.email, PASSWORD).await.status(), 200);
}
