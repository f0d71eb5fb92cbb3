//! Turning askama pages into responses: the shared `Layout`, `render`, and
//! the error page. A leaf: it imports none of the handlers' modules, so
//! errors, redirects, sessions and pages can all use it.
//!
//! An error response is built in two steps: [`error_response`] marks a
//! response with the message to show ([`PendingErrorPage`]), and the boundary
//! middleware (`web/boundary.rs`), which knows the request's language, renders
//! it with [`error_page`].

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::web::i18n::{Lang, PageMessage, Texts, error_title};
use crate::web::report::ErrorReport;

/// What the shared page frame shows.
pub struct Layout {
    /// The texts of the page's language.
    pub t: &'static Texts,
    /// The `lang` attribute.
    pub lang: &'static str,
    /// The other language, for the switch.
    pub switch_to: &'static str,
    /// This page's path and query, to come back to after switching.
    pub path: String,
    /// The signed-in user's login.
    pub user: Option<String>,
    /// The session's CSRF token (for the sign-out form and page forms).
    pub csrf_token: String,
    /// Whether the signed-in user is an admin (the header links `/admin`).
    pub admin: bool,
}

impl Layout {
    /// The frame for a page in `lang`; no user, no form.
    pub fn plain(lang: Lang) -> Layout {
        Layout::new(lang, crate::web::paths::HOME.to_owned(), None, String::new())
    }

    /// The frame for a page in `lang` at `path`, for `user`.
    pub fn new(lang: Lang, path: String, user: Option<String>, csrf_token: String) -> Layout {
        Layout {
            t: lang.texts(),
            lang: lang.tag(),
            switch_to: switch_target(lang),
            path,
            user,
            csrf_token,
            admin: false,
        }
    }
}

fn switch_target(lang: Lang) -> &'static str {
    match lang {
        Lang::En => Lang::ZhCn.tag(),
        Lang::ZhCn => Lang::En.tag(),
    }
}

/// A moment as the pages show it: `2026-11-29 12:00 UTC`.
pub fn date_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
}

/// Renders a page; a template failure becomes a plain 500 (logged by the
/// boundary).
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => ErrorReport::failed("template", &error)
            .attach((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
}

/// The message an error response is to show: the boundary renders it in the
/// request's language.
#[derive(Debug, Clone)]
pub struct PendingErrorPage(pub PageMessage);

/// An error page with `status` and `message`, to be rendered by the boundary.
pub fn error_response(status: StatusCode, message: PageMessage) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(PendingErrorPage(message));
    response
}

/// The error page with `status` and `message`, in `lang`.
pub fn error_page(status: StatusCode, lang: Lang, message: &PageMessage) -> Response {
    let layout = Layout::plain(lang);
    let title = error_title(layout.t, status);
    let message = message.text(lang);
    render(status, &ErrorPage { layout, title, message: &message })
}
