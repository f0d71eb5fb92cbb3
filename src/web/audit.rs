//! The audit trail: one typed function per event, so every event carries
//! the same fields (`event`, `user_id`, `client_id`, `client_pk`,
//! `client_addr`, and `scopes`, `error`, `retry_after`, `revoked` where they
//! apply), logged at INFO under the target `audit`. Fields that are not known
//! for an event are left out. Nothing secret is ever a parameter here: no
//! token, code, secret or password reaches these functions.

use std::net::IpAddr;

use crate::domain::client::ClientPk;
use crate::domain::scope::ScopeSet;
use crate::domain::user::UserId;

/// One audit event; `None` fields are not recorded.
#[derive(Default)]
struct Event<'a> {
    user_id: Option<i64>,
    client_id: Option<&'a str>,
    client_pk: Option<i64>,
    client_addr: Option<IpAddr>,
    scopes: Option<&'a ScopeSet>,
    error: Option<&'a str>,
    retry_after: Option<i64>,
    revoked: Option<u64>,
}

/// Writes `event` named `name`, described by `message`.
fn emit(name: &'static str, message: &'static str, event: Event<'_>) {
    tracing::info!(
        target: "audit",
        event = name,
        user_id = event.user_id,
        client_id = event.client_id,
        client_pk = event.client_pk,
        client_addr = event.client_addr.map(tracing::field::display),
        scopes = event.scopes.map(tracing::field::display),
        error = event.error,
        retry_after = event.retry_after,
        revoked = event.revoked,
        "{message}"
    );
}

/// A user signed in with the right password.
pub fn sign_in_succeeded(user_id: UserId, client_addr: IpAddr) {
    let event = Event { user_id: Some(user_id.0), client_addr: Some(client_addr), ..Event::default() };
    emit("sign_in_succeeded", "sign-in succeeded", event);
}

/// A sign-in with an unknown email or a wrong password.
pub fn sign_in_failed(client_addr: IpAddr) {
    emit("sign_in_failed", "sign-in failed", Event { client_addr: Some(client_addr), ..Event::default() });
}

/// A sign-in refused by the brute-force protection.
pub fn sign_in_throttled(client_addr: IpAddr, retry_after: i64) {
    let event = Event { client_addr: Some(client_addr), retry_after: Some(retry_after), ..Event::default() };
    emit("sign_in_throttled", "sign-in throttled", event);
}

/// The password was right and two-factor is on: the second step awaits.
pub fn second_factor_required(user_id: UserId, client_addr: IpAddr) {
    emit("second_factor_required", "password accepted; two-factor code required", user_event(user_id, client_addr));
}

/// A wrong or replayed two-factor code after the right password.
pub fn second_factor_failed(user_id: UserId, client_addr: IpAddr) {
    emit("second_factor_failed", "two-factor code refused", user_event(user_id, client_addr));
}

/// A two-factor code refused by the brute-force protection.
pub fn second_factor_throttled(user_id: UserId, client_addr: IpAddr, retry_after: i64) {
    let event = Event { retry_after: Some(retry_after), ..user_event(user_id, client_addr) };
    emit("second_factor_throttled", "two-factor code throttled", event);
}

/// Two-factor authentication turned on (`on`) or off.
pub fn two_factor_changed(user_id: UserId, client_addr: IpAddr, on: bool) {
    let (name, message) = if on {
        ("two_factor_enabled", "two-factor authentication turned on")
    } else {
        ("two_factor_disabled", "two-factor authentication turned off")
    };
    emit(name, message, user_event(user_id, client_addr));
}

/// An event of one user from one address.
/// A passkey added, renamed or removed (`change`: `passkey_added`,
/// `passkey_renamed`, `passkey_removed`).
pub fn passkey_changed(user_id: UserId, client_addr: IpAddr, change: &'static str) {
    emit(change, "passkey changed", user_event(user_id, client_addr));
}

/// A passkey sign-in that did not go through (unverified, unknown, lapsed).
pub fn passkey_sign_in_failed(client_addr: IpAddr) {
    emit(
        "passkey_sign_in_failed",
        "passkey sign-in failed",
        Event { client_addr: Some(client_addr), ..Event::default() },
    );
}

fn user_event(user_id: UserId, client_addr: IpAddr) -> Event<'static> {
    Event { user_id: Some(user_id.0), client_addr: Some(client_addr), ..Event::default() }
}

/// A new account.
pub fn account_created(user_id: UserId, client_addr: IpAddr) {
    let event = Event { user_id: Some(user_id.0), client_addr: Some(client_addr), ..Event::default() };
    emit("account_created", "account created", event);
}

/// The user had approved these scopes before: a code was issued without
/// asking again.
pub fn consent_remembered(user_id: UserId, client_id: &str, client_addr: IpAddr) {
    let event = Event {
        user_id: Some(user_id.0),
        client_id: Some(client_id),
        client_addr: Some(client_addr),
        ..Event::default()
    };
    emit("consent_remembered", "consent remembered; code issued", event);
}

/// The user approved the consent page.
pub fn access_granted(user_id: UserId, client_pk: ClientPk, scopes: &ScopeSet, client_addr: IpAddr) {
    let event = Event {
        user_id: Some(user_id.0),
        client_pk: Some(client_pk.0),
        scopes: Some(scopes),
        client_addr: Some(client_addr),
        ..Event::default()
    };
    emit("access_granted", "access granted", event);
}

/// The user denied the consent page.
pub fn access_denied(user_id: UserId, client_pk: ClientPk, client_addr: IpAddr) {
    let event = Event {
        user_id: Some(user_id.0),
        client_pk: Some(client_pk.0),
        client_addr: Some(client_addr),
        ..Event::default()
    };
    emit("access_denied", "access denied by user", event);
}

/// The token endpoint issued tokens.
pub fn token_issued(client_id: &str, user_id: Option<UserId>, scopes: &ScopeSet, client_addr: IpAddr) {
    let event = Event {
        user_id: user_id.map(|id| id.0),
        client_id: Some(client_id),
        scopes: Some(scopes),
        client_addr: Some(client_addr),
        ..Event::default()
    };
    emit("token_issued", "token issued", event);
}

/// The token endpoint refused a request with the RFC 6749 `error` code.
pub fn token_refused(error: &'static str, client_addr: IpAddr) {
    let event = Event { error: Some(error), client_addr: Some(client_addr), ..Event::default() };
    emit("token_refused", "token request refused", event);
}

/// A device asked for a device code and a user code (RFC 8628 §3.1).
pub fn device_authorization_started(client_id: &str, client_addr: IpAddr) {
    let event = Event { client_id: Some(client_id), client_addr: Some(client_addr), ..Event::default() };
    emit("device_authorization_started", "device authorization started", event);
}

/// A signed-in user typed a user code that names no pending request.
pub fn user_code_refused(user_id: UserId, client_addr: IpAddr) {
    let event = Event { user_id: Some(user_id.0), client_addr: Some(client_addr), ..Event::default() };
    emit("user_code_refused", "wrong user code", event);
}

/// A user code refused by the brute-force protection.
pub fn user_code_throttled(user_id: UserId, client_addr: IpAddr, retry_after: i64) {
    let event = Event {
        user_id: Some(user_id.0),
        client_addr: Some(client_addr),
        retry_after: Some(retry_after),
        ..Event::default()
    };
    emit("user_code_throttled", "user code throttled", event);
}

/// A revocation request was accepted (RFC 7009: also for unknown tokens).
pub fn token_revoked(client_addr: IpAddr) {
    emit("token_revoked", "token revocation", Event { client_addr: Some(client_addr), ..Event::default() });
}

/// A developer registered an application.
pub fn application_created(user_id: UserId, client_id: &str, client_addr: IpAddr) {
    emit("application_created", "application created", owner_event(user_id, client_id, client_addr));
}

/// A developer gave an application a new secret.
pub fn client_secret_reset(user_id: UserId, client_id: &str, client_addr: IpAddr) {
    emit("client_secret_reset", "client secret reset", owner_event(user_id, client_id, client_addr));
}

/// A developer revoked every token of an application.
pub fn application_tokens_revoked(user_id: UserId, client_id: &str, client_addr: IpAddr, revoked: u64) {
    let event = Event { revoked: Some(revoked), ..owner_event(user_id, client_id, client_addr) };
    emit("application_tokens_revoked", "all tokens of application revoked", event);
}

/// A developer deleted an application.
pub fn application_deleted(user_id: UserId, client_id: &str, client_addr: IpAddr) {
    emit("application_deleted", "application deleted", owner_event(user_id, client_id, client_addr));
}

/// A user revoked an application's access to their account.
pub fn authorization_revoked(user_id: UserId, client_id: &str, client_addr: IpAddr) {
    emit("authorization_revoked", "authorization revoked by user", owner_event(user_id, client_id, client_addr));
}

/// A user changed their password; `revoked` other sessions ended.
pub fn password_changed(user_id: UserId, client_addr: IpAddr, revoked: u64) {
    let event =
        Event { user_id: Some(user_id.0), client_addr: Some(client_addr), revoked: Some(revoked), ..Event::default() };
    emit("password_changed", "password changed", event);
}

/// A user deleted their account (its security log went with it; this line stays).
pub fn account_deleted(user_id: UserId, client_addr: IpAddr) {
    let event = Event { user_id: Some(user_id.0), client_addr: Some(client_addr), ..Event::default() };
    emit("account_deleted", "account deleted", event);
}

/// A user generated a personal access token with `scopes`.
pub fn personal_token_created(user_id: UserId, scopes: &ScopeSet, client_addr: IpAddr) {
    let event =
        Event { user_id: Some(user_id.0), scopes: Some(scopes), client_addr: Some(client_addr), ..Event::default() };
    emit("personal_token_created", "personal access token generated", event);
}

/// A user revoked one of their personal access tokens.
pub fn personal_token_revoked(user_id: UserId, client_addr: IpAddr) {
    let event = Event { user_id: Some(user_id.0), client_addr: Some(client_addr), ..Event::default() };
    emit("personal_token_revoked", "personal access token revoked", event);
}

/// An event of a signed-in user about one application.
fn owner_event(user_id: UserId, client_id: &str, client_addr: IpAddr) -> Event<'_> {
    Event { user_id: Some(user_id.0), client_id: Some(client_id), client_addr: Some(client_addr), ..Event::default() }
}
