//! `/email_verification?token=…`: where a verification link leads (SPEC §7
//! "Emails"). The link opens a page with one button, and only its `POST`
//! spends the link: mail scanners that fetch every link in a mail must not
//! use it up. Works without signing in; the link names its account.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::accounts::emails::{self, EmailError};
use crate::domain::email::{LinkError, LinkPurpose};
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::pages::{Layout, PageContext, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::session;

#[derive(Template)]
#[template(path = "email_verification.html")]
struct VerificationPage {
    layout: Layout,
    csrf_token: String,
    token: String,
    question: String,
}

/// The end of a link's journey: done, or why the link does not work.
#[derive(Template)]
#[template(path = "link_result.html")]
pub(super) struct LinkResultPage {
    pub(super) layout: Layout,
    pub(super) title: &'static str,
    pub(super) message: String,
    pub(super) next_href: &'static str,
    pub(super) next_text: &'static str,
    pub(super) problem: bool,
}

/// `GET /email_verification?token=…`: the button that verifies.
pub async fn verification_get(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    let token = params.get("token").unwrap_or_default();
    match emails::check_link(&*state.store, token, LinkPurpose::Verify, state.clock.now()).await {
        Ok((_, link)) => {
            let (jar, csrf_token) = session::anonymous_csrf(&state, jar);
            let question = ctx.lang.texts().verify_email_question.replace("{email}", &link.email);
            let page = VerificationPage { layout: ctx.layout(), csrf_token, token: token.to_owned(), question };
            Ok((jar, render(StatusCode::OK, &page)).into_response())
        }
        Err(error) => link_failed(&ctx, error),
    }
}

/// `POST /email_verification`: spends the link and verifies its address.
pub async fn verification_post(
    State(state): State<AppState>,
    jar: CookieJar,
    ctx: PageContext,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = params?;
    session::check_anonymous_csrf(&jar, params.get("csrf_token"))?;
    let token = params.get("token").unwrap_or_default();
    match emails::verify(&*state.store, token, state.clock.now(), ctx.addr).await {
        Ok(email) => {
            let t = ctx.lang.texts();
            let page = LinkResultPage {
                layout: ctx.layout(),
                title: t.email_verified_title,
                message: t.email_verified_message.replace("{email}", &email),
                next_href: paths::EMAILS,
                next_text: t.go_to_emails,
                problem: false,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(error) => link_failed(&ctx, error),
    }
}

/// The page for a link that does not work: 404 for one that never did, 410
/// Gone for one used or expired; storage failures are errors.
fn link_failed(ctx: &PageContext, error: EmailError) -> Result<Response, PageError> {
    let next = (paths::EMAILS, ctx.lang.texts().go_to_emails);
    match error {
        EmailError::Link(link) => Ok(link_problem(ctx, link, next)),
        EmailError::Store(store) => Err(store.into()),
        _ => Ok(link_problem(ctx, LinkError::Unknown, next)),
    }
}

/// Why a link does not work, in the page's language, with `next`: where to
/// ask for a new one.
pub(super) fn link_problem(ctx: &PageContext, error: LinkError, next: (&'static str, &'static str)) -> Response {
    let t = ctx.lang.texts();
    let (status, message) = match error {
        LinkError::Unknown => (StatusCode::NOT_FOUND, t.link_invalid),
        LinkError::Used => (StatusCode::GONE, t.link_used),
        LinkError::Expired => (StatusCode::GONE, t.link_expired),
    };
    let page = LinkResultPage {
        layout: ctx.layout(),
        title: t.link_problem_title,
        message: message.to_owned(),
        next_href: next.0,
        next_text: next.1,
        problem: true,
    };
    render(status, &page)
}
