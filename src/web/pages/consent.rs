//! The consent page (SPEC §2): the application's name, homepage and owner,
//! every requested scope with a description, Authorize and Deny. The code
//! flow and the device grant (SPEC §6) show the same page; only where its
//! form posts differs.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::client::Client;
use crate::domain::scope::ScopeSet;
use crate::oauth::authorize::ValidatedRequest;
use crate::web::pages::{Layout, PageContext, render};
use crate::web::paths;

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    layout: Layout,
    app_name: &'a str,
    homepage: &'a str,
    owner: &'a str,
    user_login: &'a str,
    /// The code flow's callback, named so the user sees where they go.
    redirect_uri: Option<&'a str>,
    /// The device's user code, shown to compare with the device's screen.
    user_code: Option<&'a str>,
    scopes: Vec<(&'static str, &'static str)>,
    /// Where the form posts, and the hidden field naming what is answered.
    action: &'static str,
    id_name: &'static str,
    id_value: &'a str,
    csrf_token: &'a str,
}

/// Who is asked, and the form's hidden values.
pub struct ConsentView<'a> {
    /// The validated request.
    pub request: &'a ValidatedRequest,
    /// The application owner's login.
    pub owner: &'a str,
    /// The parked request's id.
    pub consent_id: &'a str,
}

/// What a device asks for, and the code it shows (RFC 8628 §3.3).
pub struct DeviceConsentView<'a> {
    /// The application.
    pub client: &'a Client,
    /// The scopes it asks for.
    pub scopes: &'a ScopeSet,
    /// The application owner's login.
    pub owner: &'a str,
    /// The user code as the device shows it (`BCDF-GHJK` (four letters, a dash, four letters)).
    pub user_code: &'a str,
}

/// Renders the consent page of the code flow for the signed-in user of `ctx`.
pub fn consent_page(ctx: &PageContext, view: &ConsentView<'_>) -> Response {
    let client = &view.request.client;
    let mut page = page(ctx, client, &view.request.scopes, view.owner);
    page.redirect_uri = Some(&view.request.redirect_uri);
    page.id_value = view.consent_id;
    render(StatusCode::OK, &page)
}

/// Renders the consent page of a device's request for the signed-in user of
/// `ctx`; its form posts the user code back.
pub fn device_consent_page(ctx: &PageContext, view: &DeviceConsentView<'_>) -> Response {
    let mut page = page(ctx, view.client, view.scopes, view.owner);
    page.user_code = Some(view.user_code);
    page.action = paths::DEVICE_CONSENT;
    page.id_name = "user_code";
    page.id_value = view.user_code;
    render(StatusCode::OK, &page)
}

/// The page for `client` asking for `scopes`, posting to the code flow.
fn page<'a>(ctx: &'a PageContext, client: &'a Client, scopes: &ScopeSet, owner: &'a str) -> ConsentPage<'a> {
    ConsentPage {
        layout: ctx.layout(),
        app_name: &client.name,
        homepage: &client.homepage,
        owner,
        user_login: ctx.user.as_ref().map_or("", |u| u.login.as_str()),
        redirect_uri: None,
        user_code: None,
        scopes: scopes.iter().map(|s| (s.as_str(), ctx.lang.scope_description(s))).collect(),
        action: paths::AUTHORIZE,
        id_name: "consent_id",
        id_value: "",
        csrf_token: ctx.session.as_ref().map_or("", |s| s.csrf_token.as_str()),
    }
}
