//! SPEC §8 "Metrics": known traffic, then `/metrics` on its own listener,
//! read by a Prometheus text-format parser; every counter moved by exactly
//! that traffic, and no label holds a token, secret or address.

use prometheus_parse::{Sample, Scrape, Value};

use crate::helpers::{TestApp, assert_oauth_error};

/// A server with its metrics listener on a free port.
async fn spawn() -> TestApp {
    TestApp::spawn_with(|settings| settings.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await
}

/// The metrics document, raw and parsed.
pub async fn scrape(app: &TestApp) -> (String, Vec<Sample>) {
    let url = app.metrics_url.as_deref().expect("metrics listener");
    let response = app.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    let parsed = Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).unwrap();
    (text, parsed.samples)
}

/// The value of the counter or gauge `name` whose labels include `labels`
/// (0 when absent: a labelled counter appears at its first increment).
#[track_caller]
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let matching: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect();
    matching
        .iter()
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            ref other => panic!("{name} is not a counter or gauge: {other:?}"),
        })
        .sum()
}

#[tokio::test]
async fn counters_move_by_exactly_the_traffic_sent() {
    let app = spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let (_, before) = scrape(&app).await;
    let delta = |after: &[Sample], name: &str, labels: &[(&str, &str)]| {
        value(after, name, labels) - value(&before, name, labels)
    };

    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(app.password_grant(&ann, &client, "user_info").await["access_token"].as_str().unwrap().to_owned());
    }
    let bogus = app.token(&[("grant_type", "bogus"), ("client_id", client.id())]).await;
    assert_oauth_error(bogus, 400, "unsupported_grant_type").await;
    for _ in 0..2 {
        let wrong = app
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", "not-a-code"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
            ])
            .await;
        assert_oauth_error(wrong, 400, "invalid_grant").await;
    }
    let token = &tokens[0];
    let profile = app.http.get(app.url("/api/v5/user")).query(&[("access_token", token)]).send().await.unwrap();
    assert_eq!(profile.status(), 200);
    let unknown = app.http.get(app.url(&format!("/no/such/page/{token}"))).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let (text, after) = scrape(&app).await;

    let issued = "gatehouse_tokens_issued_total";
    assert_eq!(delta(&after, issued, &[("grant_type", "password")]), 3.0);
    assert_eq!(delta(&after, issued, &[]), 3.0, "no other grant type counted");
    let errors = "gatehouse_token_errors_total";
    assert_eq!(delta(&after, errors, &[("error", "invalid_grant")]), 2.0);
    assert_eq!(delta(&after, errors, &[("error", "unsupported_grant_type")]), 1.0);
    assert_eq!(delta(&after, errors, &[]), 3.0);
    let requests = "gatehouse_http_requests_total";
    let token_route = [("route", "/oauth/token"), ("method", "POST")];
    assert_eq!(delta(&after, requests, &[token_route[0], token_route[1], ("status", "200")]), 3.0);
    assert_eq!(delta(&after, requests, &[token_route[0], token_route[1], ("status", "400")]), 3.0);
    let user_route = [("route", "/api/v5/user"), ("method", "GET"), ("status", "200")];
    assert_eq!(delta(&after, requests, &user_route), 1.0, "labelled by the route, not the path and query");
    assert_eq!(delta(&after, requests, &[("route", "unmatched"), ("status", "404")]), 1.0);
    let latency = after
        .iter()
        .find(|s| {
            s.metric == "gatehouse_http_request_duration_seconds" && s.labels.get("route") == Some("/api/v5/user")
        })
        .expect("a latency histogram per route");
    assert!(matches!(&latency.value, Value::Histogram(buckets) if buckets.last().unwrap().count == 1.0));

    for secret in [token.as_str(), client.secret(), &ann.email, &ann.password, "127.0.0.1"] {
        assert!(!text.contains(secret), "{secret} reached the metrics");
    }
    for sample in &after {
        for (name, label) in sample.labels.iter() {
            assert!(!label.contains(token.as_str()) && !label.contains('?'), "{name}={label}");
        }
    }
}

#[tokio::test]
async fn sign_ins_and_throttling_are_counted_by_result() {
    let app = spawn().await;
    let ann = app.create_user("ann").await;
    let browser = app.browser();
    app.login_as(&browser, &ann).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(app.sign_in_attempt(&app.browser(), &ann.email, "a wrong guess").await.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 429]);
    let (_, after) = scrape(&app).await;

    let sign_ins = "gatehouse_sign_ins_total";
    assert_eq!(value(&after, sign_ins, &[("result", "success")]), 1.0);
    assert_eq!(value(&after, sign_ins, &[("result", "failure")]), 6.0);
    assert_eq!(value(&after, sign_ins, &[("result", "throttled")]), 1.0);
    assert_eq!(value(&after, "gatehouse_throttled_total", &[("kind", "sign_in")]), 1.0);
    assert_eq!(value(&after, "gatehouse_throttled_total", &[]), 1.0);
}

#[tokio::test]
async fn process_and_pool_metrics_are_served_only_on_the_metrics_listener() {
    let app = spawn().await;

    let public = app.http.get(app.url("/metrics")).send().await.unwrap();
    let (_, samples) = scrape(&app).await;

    assert_eq!(public.status(), 404, "the public listener does not serve /metrics");
    assert!(value(&samples, "process_resident_memory_bytes", &[]) > 1e6, "RSS is plausible");
    assert!(value(&samples, "process_open_fds", &[]) > 3.0);
    assert!(value(&samples, "process_start_time_seconds", &[]) > 1.6e9);
    assert!(samples.iter().any(|s| s.metric == "process_cpu_seconds_total"));
    let pool = "gatehouse_db_pool_connections";
    assert!(value(&samples, pool, &[("state", "max")]) >= 1.0);
    let open = value(&samples, pool, &[("state", "idle")]) + value(&samples, pool, &[("state", "in_use")]);
    assert!(open >= 1.0 && open <= value(&samples, pool, &[("state", "max")]), "{open} connections open");
    let spawned = TestApp::spawn().await;
    assert!(spawned.metrics_url.is_none(), "metrics are off by default");
}

#[tokio::test]
async fn without_a_metrics_listener_requests_are_not_counted() {
    let app = TestApp::spawn().await;

    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    let text = app.state.metrics.render(app.state.store.pool_usage());

    assert_eq!(health.status(), 200);
    assert!(app.metrics_url.is_none());
    assert!(!text.contains("gatehouse_http_requests_total"), "nothing counts requests nobody can read:\n{text}");
}
