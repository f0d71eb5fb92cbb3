//! Sending an authorization response to the client's verified callback: a
//! redirect with the parameters in the query, or, for
//! `response_mode=form_post`, a page whose form posts them there by itself
//! (OAuth 2.0 Form Post Response Mode §2; the button is for browsers
//! without script).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};

use crate::oauth::error::{AuthorizeError, RedirectError};
use crate::oauth::response::{AuthorizationResponse, ResponseMode};
use crate::web::error::error_description;
use crate::web::i18n::{Lang, Texts};
use crate::web::redirect;
use crate::web::render::render;
use crate::web::report::ErrorReport;

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    t: &'static Texts,
    lang: &'static str,
    action: &'a str,
    fields: &'a [(&'static str, String)],
}

/// How a redirect is made: `302` after a GET, `303` after the consent
/// form's POST (RFC 9700 §4.12: never a `307` that re-posts the form).
#[derive(Debug, Clone, Copy)]
pub enum After {
    /// The authorization request itself.
    Get,
    /// The consent form.
    Post,
}

/// Delivers `response` the way its request asked, the page in `lang`.
pub fn deliver(response: &AuthorizationResponse, after: After, lang: Lang) -> Response {
    match response.mode {
        ResponseMode::Query => match after {
            After::Get => redirect::found(&response.location()),
            After::Post => redirect::see_other(&response.location()),
        },
        ResponseMode::FormPost => {
            let t = lang.texts();
            let page = FormPostPage { t, lang: lang.tag(), action: &response.redirect_uri, fields: &response.params };
            render(StatusCode::OK, &page)
        }
    }
}

/// An authorization endpoint error: redirected ones are delivered like any
/// answer (a form post when asked), the others are pages.
pub fn authorize_error(error: AuthorizeError, lang: Lang) -> Response {
    match error {
        AuthorizeError::Redirect(mut error) => {
            error.description = error_description(&error.description);
            redirect_error(&error, lang)
        }
        other => other.into_response(),
    }
}

fn redirect_error(error: &RedirectError, lang: Lang) -> Response {
    ErrorReport::refused(error.code.code()).attach(deliver(&error.response(), After::Get, lang))
}
