//! The language switch on every page: remembers the choice in a cookie.

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::web::i18n::{LANG_COOKIE, Lang};
use crate::web::pages::login::ReturnTo;
use crate::web::pages::safe_return_to;
use crate::web::redirect;

/// `GET /language/{tag}?return_to=…`
pub async fn language_get(Path(tag): Path<String>, Query(query): Query<ReturnTo>, jar: CookieJar) -> Response {
    let back = safe_return_to(query.return_to.as_deref());
    let Some(lang) = Lang::from_tag(&tag) else {
        return redirect::see_other(&back);
    };
    let cookie = Cookie::build((LANG_COOKIE, lang.tag()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .build();
    (jar.add(cookie), redirect::see_other(&back)).into_response()
}
