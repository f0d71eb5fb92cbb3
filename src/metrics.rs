//! Prometheus metrics (SPEC §8, docs/operations.md): one registry per
//! running server, so tests that run several servers in one process count
//! each apart. Counting is an atomic add on a labelled child; every label
//! value is a `&'static str` from a fixed set (a route template, a method, a
//! status, an RFC error code, a variant below), so no secret, token, address
//! or path a client chose can ever become a label.

use prometheus::{Encoder as _, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::store::PoolUsage;

/// How a sign-in step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// The password was right and a session started.
    Success,
    /// Unknown email or wrong password.
    Failure,
    /// Refused by the brute-force protection before the password was checked.
    Throttled,
    /// The password was right; the second step (a two-factor code) awaits.
    TwoFactorRequired,
    /// The second step's code was right and a session started.
    TwoFactorSuccess,
    /// A wrong or replayed two-factor code.
    TwoFactorFailure,
    /// A two-factor code refused by the brute-force protection.
    TwoFactorThrottled,
    /// A passkey's signature was right and a session started.
    PasskeySuccess,
    /// A passkey answer that did not verify, or an unknown passkey.
    PasskeyFailure,
}

impl SignIn {
    fn label(self) -> &'static str {
        match self {
            SignIn::Success => "success",
            SignIn::Failure => "failure",
            SignIn::Throttled => "throttled",
            SignIn::TwoFactorRequired => "two_factor_required",
            SignIn::TwoFactorSuccess => "two_factor_success",
            SignIn::TwoFactorFailure => "two_factor_failure",
            SignIn::TwoFactorThrottled => "two_factor_throttled",
            SignIn::PasskeySuccess => "passkey_success",
            SignIn::PasskeyFailure => "passkey_failure",
        }
    }
}

/// Which brute-force protection refused an attempt (`accounts/throttle.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// `POST /login`.
    SignIn,
    /// `POST /login/two-factor`.
    TwoFactor,
    /// The token endpoint's password grant.
    PasswordGrant,
    /// A password confirmed again: password change, account deletion,
    /// turning two-factor off.
    Reauth,
    /// A password reset request.
    PasswordReset,
    /// A device grant's user code typed on `/device`.
    UserCode,
}

impl Throttle {
    fn label(self) -> &'static str {
        match self {
            Throttle::SignIn => "sign_in",
            Throttle::TwoFactor => "two_factor",
            Throttle::PasswordGrant => "password_grant",
            Throttle::Reauth => "reauth",
            Throttle::PasswordReset => "password_reset",
            Throttle::UserCode => "user_code",
        }
    }
}

/// Latency buckets in seconds: a token round trip is a few milliseconds, a
/// password check tens to hundreds, a stalled database seconds.
const LATENCY_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Every metric family of one server.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    tokens_issued: IntCounterVec,
    token_errors: IntCounterVec,
    sign_ins: IntCounterVec,
    throttled: IntCounterVec,
    pool: IntGaugeVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A fresh registry with every family, and the process collector on Linux.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let http_labels = ["route", "method", "status"];
        let metrics = Metrics {
            http_requests: IntCounterVec::new(
                Opts::new(
                    "gatehouse_http_requests_total",
                    "HTTP requests answered, by route template, method and status",
                ),
                &http_labels,
            )?,
            http_duration: HistogramVec::new(
                HistogramOpts::new(
                    "gatehouse_http_request_duration_seconds",
                    "Time to answer an HTTP request (until the response head), by route template, method and status",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
                &http_labels,
            )?,
            tokens_issued: IntCounterVec::new(
                Opts::new(
                    "gatehouse_tokens_issued_total",
                    "Token responses issued by the token endpoint, by grant type",
                ),
                &["grant_type"],
            )?,
            token_errors: IntCounterVec::new(
                Opts::new("gatehouse_token_errors_total", "Token endpoint error responses, by RFC 6749 error code"),
                &["error"],
            )?,
            sign_ins: IntCounterVec::new(
                Opts::new("gatehouse_sign_ins_total", "Sign-in steps on the pages, by result"),
                &["result"],
            )?,
            throttled: IntCounterVec::new(
                Opts::new("gatehouse_throttled_total", "Attempts refused by the brute-force protection, by kind"),
                &["kind"],
            )?,
            pool: IntGaugeVec::new(
                Opts::new("gatehouse_db_pool_connections", "Database pool connections: idle, in_use and max"),
                &["state"],
            )?,
            registry,
        };
        metrics.register()?;
        Ok(metrics)
    }

    fn register(&self) -> Result<(), prometheus::Error> {
        let families: [Box<dyn prometheus::core::Collector>; 7] = [
            Box::new(self.http_requests.clone()),
            Box::new(self.http_duration.clone()),
            Box::new(self.tokens_issued.clone()),
            Box::new(self.token_errors.clone()),
            Box::new(self.sign_ins.clone()),
            Box::new(self.throttled.clone()),
            Box::new(self.pool.clone()),
        ];
        for family in families {
            self.registry.register(family)?;
        }
        #[cfg(target_os = "linux")]
        self.registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        Ok(())
    }

    /// One answered request: `route` is the matched route's template (or
    /// `"unmatched"`), never the path the client sent.
    pub fn http_request(&self, route: &str, method: &'static str, status: &str, seconds: f64) {
        let labels = [route, method, status];
        self.http_requests.with_label_values(&labels).inc();
        self.http_duration.with_label_values(&labels).observe(seconds);
    }

    /// The token endpoint issued tokens by `grant_type`.
    pub fn token_issued(&self, grant_type: &'static str) {
        self.tokens_issued.with_label_values(&[grant_type]).inc();
    }

    /// The token endpoint answered the RFC 6749 `error` code.
    pub fn token_error(&self, error: &'static str) {
        self.token_errors.with_label_values(&[error]).inc();
    }

    /// A sign-in step ended as `result`.
    pub fn sign_in(&self, result: SignIn) {
        self.sign_ins.with_label_values(&[result.label()]).inc();
        if let Some(kind) = match result {
            SignIn::Throttled => Some(Throttle::SignIn),
            SignIn::TwoFactorThrottled => Some(Throttle::TwoFactor),
            _ => None,
        } {
            self.throttled(kind);
        }
    }

    /// The brute-force protection refused an attempt of `kind`.
    pub fn throttled(&self, kind: Throttle) {
        self.throttled.with_label_values(&[kind.label()]).inc();
    }

    /// Every family in the Prometheus text format, the pool gauges set
    /// from `pool` first.
    pub fn render(&self, pool: PoolUsage) -> String {
        let in_use = pool.open.saturating_sub(pool.idle);
        for (state, value) in [("idle", pool.idle), ("in_use", in_use), ("max", pool.max)] {
            self.pool.with_label_values(&[state]).set(i64::from(value));
        }
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "cannot encode the metrics");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_rendered_with_its_labels() {
        let metrics = Metrics::new().unwrap();
        metrics.http_request("/oauth/token", "POST", "200", 0.002);
        metrics.token_issued("password");
        metrics.token_error("invalid_grant");
        metrics.sign_in(SignIn::Throttled);
        metrics.throttled(Throttle::PasswordGrant);

        let text = metrics.render(PoolUsage { open: 3, idle: 1, max: 10 });

        for line in [
            r#"gatehouse_http_requests_total{method="POST",route="/oauth/token",status="200"} 1"#,
            r#"gatehouse_http_request_duration_seconds_count{method="POST",route="/oauth/token",status="200"} 1"#,
            r#"gatehouse_tokens_issued_total{grant_type="password"} 1"#,
            r#"gatehouse_token_errors_total{error="invalid_grant"} 1"#,
            r#"gatehouse_sign_ins_total{result="throttled"} 1"#,
            r#"gatehouse_throttled_total{kind="sign_in"} 1"#,
            r#"gatehouse_throttled_total{kind="password_grant"} 1"#,
            r#"gatehouse_db_pool_connections{state="in_use"} 2"#,
            r#"gatehouse_db_pool_connections{state="max"} 10"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from:\n{text}");
        }
    }

    #[test]
    fn two_registries_count_apart() {
        let (a, b) = (Metrics::new().unwrap(), Metrics::new().unwrap());
        a.token_issued("password");
        assert!(!b.render(PoolUsage { open: 0, idle: 0, max: 1 }).contains("gatehouse_tokens_issued_total{"));
    }
}
