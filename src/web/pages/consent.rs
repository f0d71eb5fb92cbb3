//! The consent page (SPEC §2): the application's name, homepage and owner,
//! every requested scope with a description, Authorize and Deny.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::oauth::authorize::ValidatedRequest;
use crate::web::pages::{Layout, PageContext, render};

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    layout: Layout,
    app_name: &'a str,
    homepage: &'a str,
    owner: &'a str,
    user_login: &'a str,
    redirect_uri: &'a str,
    scopes: Vec<(&'static str, &'static str)>,
    consent_id: &'a str,
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

/// Renders the consent page for the signed-in user of `ctx`.
pub fn consent_page(ctx: &PageContext, view: &ConsentView<'_>) -> Response {
    let client = &view.request.client;
    let page = ConsentPage {
        layout: ctx.layout(),
        app_name: &client.name,
        homepage: &client.homepage,
        owner: view.owner,
        user_login: ctx.user.as_ref().map_or("", |u| u.login.as_str()),
        redirect_uri: &view.request.redirect_uri,
        scopes: view.request.scopes.iter().map(|s| (s.as_str(), ctx.lang.scope_description(s))).collect(),
        consent_id: view.consent_id,
        csrf_token: ctx.session.as_ref().map_or("", |s| s.csrf_token.as_str()),
    };
    render(StatusCode::OK, &page)
}
