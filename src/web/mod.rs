//! HTTP: the router with every path listed once, the layers every response
//! passes through, and the handlers. The only module that imports axum or askama.

mod api;
mod audit;
mod boundary;
pub(crate) mod client_addr;
mod early_close;
mod error;
mod health;
pub mod i18n;
mod mails;
pub mod metrics;
pub mod oauth;
mod pages;
pub mod params;
mod path_check;
mod redirect;
mod render;
mod report;
mod session;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{any, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnBodyChunk, DefaultOnEos, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::state::AppState;

/// Every path Gatehouse serves (SPEC §2).
pub mod paths {
    /// Start of the code flow, and the consent form's target.
    pub const AUTHORIZE: &str = "/oauth/authorize";
    /// The token endpoint.
    pub const TOKEN: &str = "/oauth/token";
    /// RFC 7009 revocation.
    pub const REVOKE: &str = "/oauth/revoke";
    /// RFC 7662 introspection.
    pub const INTROSPECT: &str = "/oauth/introspect";
    /// RFC 8414 metadata.
    pub const METADATA: &str = "/.well-known/oauth-authorization-server";
    /// OpenID Connect Discovery: the same document.
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    /// The public signing keys (JWKS).
    pub const JWKS: &str = "/oauth/jwks";
    /// OpenID Connect UserInfo.
    pub const USERINFO: &str = "/oauth/userinfo";
    /// OpenID Connect RP-initiated sign-out (`end_session_endpoint`).
    pub const OIDC_LOGOUT: &str = "/oauth/logout";
    /// RFC 8628 device authorization: a device asks for its codes.
    pub const DEVICE_AUTHORIZATION: &str = "/oauth/device/code";
    /// RFC 8628 verification URI: where the user types the code.
    pub const DEVICE: &str = "/device";
    /// The device consent page's form.
    pub const DEVICE_CONSENT: &str = "/device/consent";
    /// After the answer: "go back to your device".
    pub const DEVICE_DONE: &str = "/device/done";
    /// The user's profile.
    pub const API_USER: &str = "/api/v5/user";
    /// The user's email addresses.
    pub const API_EMAILS: &str = "/api/v5/emails";
    /// The OpenAPI document of the Open API and the OAuth endpoints.
    pub const API_OPENAPI: &str = "/api/v5/openapi.json";
    /// Sign in.
    pub const LOGIN: &str = "/login";
    /// Sign out.
    pub const LOGOUT: &str = "/logout";
    /// Sign up.
    pub const SIGNUP: &str = "/signup";
    /// Liveness and database reachability.
    pub const HEALTH: &str = "/healthz";
    /// The home page.
    pub const HOME: &str = "/";
    /// The stylesheet.
    pub const STYLESHEET: &str = "/static/gatehouse.css";
    /// The default avatar.
    pub const AVATAR: &str = "/static/avatar.svg";
    /// The pages' small script (copy buttons).
    pub const SCRIPT: &str = "/static/gatehouse.js";
    /// A developer's applications.
    pub const APPS: &str = "/settings/applications";
    /// A user's authorized applications.
    pub const AUTHORIZED: &str = "/settings/authorized";
    /// The language switch.
    pub const LANGUAGE: &str = "/language/{tag}";
    /// The form for a new application.
    pub const APP_NEW: &str = "/settings/applications/new";
    /// One application's details.
    pub const APP: &str = "/settings/applications/{client_id}";
    /// Editing one application.
    pub const APP_EDIT: &str = "/settings/applications/{client_id}/edit";
    /// Giving one application a new secret.
    pub const APP_RESET_SECRET: &str = "/settings/applications/{client_id}/reset_secret";
    /// Revoking every token of one application.
    pub const APP_REVOKE_TOKENS: &str = "/settings/applications/{client_id}/revoke_tokens";
    /// Deleting one application.
    pub const APP_DELETE: &str = "/settings/applications/{client_id}/delete";
    /// The settings: the first section.
    pub const SETTINGS: &str = "/settings";
    /// The account's signed-in browsers.
    pub const SESSIONS: &str = "/settings/sessions";
    /// Signing out one session.
    pub const SESSION_REVOKE: &str = "/settings/sessions/{id}/revoke";
    /// Signing out every other session.
    pub const SESSIONS_REVOKE_OTHERS: &str = "/settings/sessions/revoke_others";
    /// The account's security log.
    pub const SECURITY_LOG: &str = "/settings/security-log";
    /// The admin pages (admins only; 404 for everyone else).
    pub const ADMIN: &str = "/admin";
    /// An admin's action on a user: `disable`, `enable`, `sign_out`, `reset_two_factor`.
    pub const ADMIN_USER_ACTION: &str = "/admin/users/{id}/{action}";
    /// An admin's action on an application: `disable`, `enable`.
    pub const ADMIN_APP_ACTION: &str = "/admin/applications/{client_id}/{action}";
    /// Revoking one application's access to the user's account.
    pub const AUTHORIZED_REVOKE: &str = "/settings/authorized/{client_id}/revoke";
    /// The user's profile: name, bio, website.
    pub const PROFILE: &str = "/settings/profile";
    /// Changing the password.
    pub const PASSWORD: &str = "/settings/password";
    /// The user's personal access tokens; generating one.
    pub const PERSONAL_TOKENS: &str = "/settings/tokens";
    /// Revoking one personal access token.
    pub const PERSONAL_TOKEN_REVOKE: &str = "/settings/tokens/{id}/revoke";
    /// The account: deleting it.
    pub const ACCOUNT: &str = "/settings/account";
    /// What a deleted account's browser sees last.
    pub const ACCOUNT_DELETED: &str = "/account/deleted";
    /// The account's email addresses; `POST` adds one.
    pub const EMAILS: &str = "/settings/emails";
    /// Making one address the primary one.
    pub const EMAIL_PRIMARY: &str = "/settings/emails/{id}/primary";
    /// Removing one address.
    pub const EMAIL_REMOVE: &str = "/settings/emails/{id}/remove";
    /// Mailing one address a verification link again.
    pub const EMAIL_RESEND: &str = "/settings/emails/{id}/resend";
    /// Where a verification link leads (`?token=…`; the token never in the
    /// path, which the access log records).
    pub const EMAIL_VERIFICATION: &str = "/email_verification";
    /// Asking for a password-reset link (SPEC §7).
    pub const PASSWORD_RESET: &str = "/password_reset";
    /// Where a reset link leads (`?token=…`): the new password.
    pub const PASSWORD_RESET_EDIT: &str = "/password_reset/edit";
    /// The account's security: two-factor authentication (later passkeys).
    pub const SECURITY: &str = "/settings/security";
    /// Beginning (POST) and showing (GET) a two-factor setup.
    pub const TWO_FACTOR_SETUP: &str = "/settings/security/two-factor/setup";
    /// Confirming the setup with a first code.
    pub const TWO_FACTOR_ENABLE: &str = "/settings/security/two-factor/enable";
    /// Turning two-factor off with the password.
    pub const TWO_FACTOR_DISABLE: &str = "/settings/security/two-factor/disable";
    /// The second sign-in step: a code from the app, or a recovery code.
    pub const LOGIN_TWO_FACTOR: &str = "/login/two-factor";
    /// Passkeys (docs/decisions.md "Passkeys"): the options of a new
    /// registration (JSON), adding the passkey (JSON), renaming, removing.
    pub const PASSKEY_OPTIONS: &str = "/settings/security/passkeys/options";
    /// Adding a passkey with the browser's answer.
    pub const PASSKEYS: &str = "/settings/security/passkeys";
    /// Renaming the passkey numbered `{id}`.
    pub const PASSKEY_RENAME: &str = "/settings/security/passkeys/{id}/rename";
    /// Removing the passkey numbered `{id}`.
    pub const PASSKEY_REMOVE: &str = "/settings/security/passkeys/{id}/remove";
    /// The options of a sign-in with a discoverable passkey (JSON).
    pub const LOGIN_PASSKEY_OPTIONS: &str = "/login/passkey/options";
    /// Signing in with the browser's answer (JSON).
    pub const LOGIN_PASSKEY: &str = "/login/passkey";

    /// [`PASSKEY_RENAME`] for the passkey numbered `id`.
    pub fn passkey_rename(id: &str) -> String {
        PASSKEY_RENAME.replace("{id}", id)
    }

    /// [`PASSKEY_REMOVE`] for the passkey numbered `id`.
    pub fn passkey_remove(id: &str) -> String {
        PASSKEY_REMOVE.replace("{id}", id)
    }

    /// The language switch to `tag`.
    pub fn language(tag: &str) -> String {
        LANGUAGE.replace("{tag}", tag)
    }

    /// [`APP`] for `client_id`.
    pub fn app(client_id: &str) -> String {
        APP.replace("{client_id}", client_id)
    }

    /// [`APP_EDIT`] for `client_id`.
    pub fn app_edit(client_id: &str) -> String {
        APP_EDIT.replace("{client_id}", client_id)
    }

    /// [`APP_RESET_SECRET`] for `client_id`.
    pub fn app_reset_secret(client_id: &str) -> String {
        APP_RESET_SECRET.replace("{client_id}", client_id)
    }

    /// [`APP_REVOKE_TOKENS`] for `client_id`.
    pub fn app_revoke_tokens(client_id: &str) -> String {
        APP_REVOKE_TOKENS.replace("{client_id}", client_id)
    }

    /// [`APP_DELETE`] for `client_id`.
    pub fn app_delete(client_id: &str) -> String {
        APP_DELETE.replace("{client_id}", client_id)
    }

    /// [`SESSION_REVOKE`] for the session named `id`.
    pub fn session_revoke(id: &str) -> String {
        SESSION_REVOKE.replace("{id}", id)
    }

    /// [`AUTHORIZED_REVOKE`] for `client_id`.
    pub fn authorized_revoke(client_id: &str) -> String {
        AUTHORIZED_REVOKE.replace("{client_id}", client_id)
    }

    /// [`PERSONAL_TOKEN_REVOKE`] for the token numbered `id`.
    pub fn personal_token_revoke(id: &str) -> String {
        PERSONAL_TOKEN_REVOKE.replace("{id}", id)
    }

    /// [`EMAIL_PRIMARY`] for the address `id`.
    pub fn email_primary(id: &str) -> String {
        EMAIL_PRIMARY.replace("{id}", id)
    }

    /// [`EMAIL_REMOVE`] for the address `id`.
    pub fn email_remove(id: &str) -> String {
        EMAIL_REMOVE.replace("{id}", id)
    }

    /// [`EMAIL_RESEND`] for the address `id`.
    pub fn email_resend(id: &str) -> String {
        EMAIL_RESEND.replace("{id}", id)
    }
}

/// Most header fields one request may carry.
const MAX_HEADERS: usize = 64;
/// Most bytes of header names and values one request may carry.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How long one request may take before it is answered 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The content security policy of every response: nothing from elsewhere,
/// never inside a frame (clickjacking on the consent page). The script may
/// call this server only (`connect-src`: the passkey ceremonies' JSON).
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Builds the application.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    // Requests are counted only when something can read the counts: without
    // `--metrics-listen` the two layers stay off the request path.
    let counters = state.settings.metrics_listen.map(|_| std::sync::Arc::clone(&state.metrics));
    let routes = Router::new()
        .route(paths::HOME, get(pages::home::home_get))
        .route(paths::HEALTH, get(health::health_get))
        .route(paths::STYLESHEET, get(pages::assets::stylesheet_get))
        .route(paths::AVATAR, get(pages::assets::avatar_get))
        .route(paths::SCRIPT, get(pages::assets::script_get))
        .route(paths::LANGUAGE, get(pages::language::language_get))
        .route(paths::APPS, get(pages::apps::list_get).post(pages::apps::create_post))
        .route(paths::APP_NEW, get(pages::apps::new_get))
        .route(paths::APP, get(pages::apps::details_get))
        .route(paths::APP_EDIT, get(pages::apps::edit_get).post(pages::apps::edit_post))
        .route(paths::APP_RESET_SECRET, post(pages::apps::reset_secret_post))
        .route(paths::APP_REVOKE_TOKENS, post(pages::apps::revoke_tokens_post))
        .route(paths::APP_DELETE, get(pages::apps::delete_get).post(pages::apps::delete_post))
        .route(paths::AUTHORIZED, get(pages::authorized::authorized_get))
        .route(paths::AUTHORIZED_REVOKE, post(pages::authorized::revoke_post))
        .route(paths::SETTINGS, get(settings_get))
        .route(paths::SESSIONS, get(pages::sessions::sessions_get))
        .route(paths::SESSION_REVOKE, post(pages::sessions::revoke_post))
        .route(paths::SESSIONS_REVOKE_OTHERS, post(pages::sessions::revoke_others_post))
        .route(paths::SECURITY_LOG, get(pages::security_log::security_log_get))
        .route(paths::ADMIN, get(pages::admin::admin_get).fallback(pages::not_found))
        .route(paths::ADMIN_USER_ACTION, any(pages::admin::user_action))
        .route(paths::ADMIN_APP_ACTION, any(pages::admin::app_action))
        .route(paths::PROFILE, get(pages::profile::profile_get).post(pages::profile::profile_post))
        .route(paths::PASSWORD, get(pages::password::password_get).post(pages::password::password_post))
        .route(paths::PERSONAL_TOKENS, get(pages::tokens::tokens_get).post(pages::tokens::generate_post))
        .route(paths::PERSONAL_TOKEN_REVOKE, post(pages::tokens::revoke_post))
        .route(paths::ACCOUNT, get(pages::account::account_get).post(pages::account::delete_post))
        .route(paths::ACCOUNT_DELETED, get(pages::account::deleted_get))
        .route(paths::EMAILS, get(pages::emails::emails_get).post(pages::emails::add_post))
        .route(paths::EMAIL_PRIMARY, post(pages::emails::primary_post))
        .route(paths::EMAIL_REMOVE, post(pages::emails::remove_post))
        .route(paths::EMAIL_RESEND, post(pages::emails::resend_post))
        .route(
            paths::EMAIL_VERIFICATION,
            get(pages::email_verification::verification_get).post(pages::email_verification::verification_post),
        )
        .route(paths::PASSWORD_RESET, get(pages::password_reset::request_get).post(pages::password_reset::request_post))
        .route(paths::PASSWORD_RESET_EDIT, get(pages::password_reset::edit_get).post(pages::password_reset::edit_post))
        .route(paths::SECURITY, get(pages::security::security_get))
        .route(
            paths::TWO_FACTOR_SETUP,
            get(pages::security::two_factor::setup_get).post(pages::security::two_factor::setup_post),
        )
        .route(paths::TWO_FACTOR_ENABLE, post(pages::security::two_factor::enable_post))
        .route(paths::TWO_FACTOR_DISABLE, post(pages::security::two_factor::disable_post))
        .route(paths::PASSKEY_OPTIONS, post(pages::security::passkeys::options_post))
        .route(paths::PASSKEYS, post(pages::security::passkeys::add_post))
        .route(paths::PASSKEY_RENAME, post(pages::security::passkeys::rename_post))
        .route(paths::PASSKEY_REMOVE, post(pages::security::passkeys::remove_post))
        .route(paths::LOGIN_PASSKEY_OPTIONS, post(pages::login_passkey::options_post))
        .route(paths::LOGIN_PASSKEY, post(pages::login_passkey::finish_post))
        .route(
            paths::LOGIN_TWO_FACTOR,
            get(pages::login_two_factor::second_step_get).post(pages::login_two_factor::second_step_post),
        )
        .route(paths::LOGIN, get(pages::login::login_get).post(pages::login::login_post))
        .route(paths::LOGOUT, post(pages::login::logout_post))
        .route(paths::SIGNUP, get(pages::signup::signup_get).post(pages::signup::signup_post))
        .route(paths::DEVICE, get(pages::device::device_get).post(pages::device::device_post))
        .route(paths::DEVICE_CONSENT, post(pages::device::consent_post))
        .route(paths::DEVICE_DONE, get(pages::device::done_get))
        .merge(oauth::routes())
        .nest("/api/v5", api::routes());
    let routes = match counters {
        Some(_) => routes.route_layer(axum::middleware::from_fn(metrics::tag_route)),
        None => routes,
    };
    let router = routes
        .fallback(pages::not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(path_check::refuse_bad_paths))
        .layer(axum::middleware::from_fn(limit_headers));
    let app = with_security_headers(router)
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(CatchPanicLayer::custom(boundary::panic_response))
        // Inside the request's span: the one place errors are logged.
        .layer(axum::middleware::from_fn(boundary::log_errors))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(access_log())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(boundary::drop_malformed_request_id));
    let app = match counters {
        Some(counters) => app.layer(axum::middleware::from_fn_with_state(counters, metrics::count_requests)),
        None => app,
    };
    // Outermost, so that every early answer (431, 408, a panic's 500,
    // a refused body) is seen with the final word on the body.
    app.layer(axum::middleware::from_fn(early_close::close_unless_body_read))
}

/// `GET /settings`: the first section of the settings.
async fn settings_get() -> axum::response::Response {
    redirect::found(paths::PROFILE)
}

/// Refuses requests with too many or too large header fields: 431 (RFC 6585 §5).
async fn limit_headers(request: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let headers = request.headers();
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        let body =
            serde_json::json!({ "error": "invalid_request", "error_description": "request header fields too large" });
        return (axum::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, axum::Json(body)).into_response();
    }
    next.run(request).await
}

/// Headers on every response unless a handler set its own: no framing, no
/// outside content, no referrer (authorize URLs carry `state`), no caching.
fn with_security_headers(router: Router) -> Router {
    const HEADERS: [(HeaderName, &str); 6] = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ];
    HEADERS.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)))
    })
}

/// The access log's layer: errors are not logged again on failure (`()`).
type AccessLog = TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&Request) -> tracing::Span,
    DefaultOnRequest,
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    (),
>;

/// One log line per request with method, path, request id and status (errors
/// are logged by `boundary::log_errors`, not again here). The query string is
/// never logged: the seed's clients put codes and secrets there.
fn access_log() -> AccessLog {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> tracing::Span)
        .on_response(DefaultOnResponse::new().level(Level::INFO))
        .on_failure(())
}

fn request_span(request: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = boundary::request_id(request),
    )
}
