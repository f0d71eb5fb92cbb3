//! `/settings/profile` (SPEC §7 "Profile"): **Name**, **Bio**, **Website**
//! and **Save**, under the rules `PATCH /api/v5/user` keeps too.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::accounts::profile::{self, ProfileUpdateError};
use crate::domain::profile::{self as rules, ProfileChange, ProfileError};
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::i18n::Texts;
use crate::web::pages::{Layout, NoticeQuery, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;

#[derive(Template)]
#[template(path = "settings/profile.html")]
struct ProfilePage {
    layout: Layout,
    notice: Option<&'static str>,
    /// Some field was refused.
    refused: bool,
    name: String,
    bio: String,
    website: String,
    name_error: Option<String>,
    bio_error: Option<String>,
    website_error: Option<String>,
}

impl ProfilePage {
    /// The form holding `name`, `bio` and `website`, no message.
    fn new(layout: Layout, name: &str, bio: &str, website: &str) -> ProfilePage {
        ProfilePage {
            layout,
            notice: None,
            refused: false,
            name: name.to_owned(),
            bio: bio.to_owned(),
            website: website.to_owned(),
            name_error: None,
            bio_error: None,
            website_error: None,
        }
    }

    /// Puts each refusal's message beside its field.
    fn show(&mut self, errors: &[ProfileError]) {
        let t = self.layout.t;
        for &error in errors {
            let message = Some(profile_error(t, error));
            match error {
                ProfileError::Name => self.name_error = message,
                ProfileError::Bio => self.bio_error = message,
                // The form has no Weibo field; the API's callers see its error.
                ProfileError::Website | ProfileError::Weibo => self.website_error = message,
            }
        }
        self.refused = true;
    }
}

/// Why a field was refused, in the page's language.
fn profile_error(t: &Texts, error: ProfileError) -> String {
    let max = |text: &str, max: usize| text.replace("{max}", &max.to_string());
    match error {
        ProfileError::Name => max(t.profile_invalid_name, rules::MAX_NAME_CHARS),
        ProfileError::Bio => max(t.profile_invalid_bio, rules::MAX_BIO_CHARS),
        ProfileError::Website => max(t.profile_invalid_website, rules::MAX_WEBSITE_CHARS),
        ProfileError::Weibo => max(t.profile_invalid_weibo, rules::MAX_WEIBO_CHARS),
    }
}

/// `GET /settings/profile`
pub async fn profile_get(signed_in: SignedIn, Query(query): Query<NoticeQuery>) -> Response {
    let user = &signed_in.user;
    let mut page = ProfilePage::new(signed_in.ctx.layout(), &user.name, &user.bio, &user.blog);
    if query.notice.as_deref() == Some("saved") {
        page.notice = Some(page.layout.t.profile_saved);
    }
    render(StatusCode::OK, &page)
}

/// `POST /settings/profile`: saves the three fields (the form always sends
/// them: one left out counts as emptied); refused fields come back beside
/// their messages, with what was typed.
pub async fn profile_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked(params)?;
    let field = |name: &str| params.given(name).unwrap_or_default().to_owned();
    let (name, bio, website) = (field("name"), field("bio"), field("website"));
    let change =
        ProfileChange { name: Some(name.clone()), bio: Some(bio.clone()), blog: Some(website.clone()), weibo: None };
    let now = state.clock.now();
    match profile::update(&*state.store, &signed_in.user, &change, now, Some(signed_in.ctx.addr)).await {
        Ok(_) => Ok(redirect::see_other(&format!("{}?notice=saved", paths::PROFILE))),
        Err(ProfileUpdateError::Invalid(errors)) => {
            let mut page = ProfilePage::new(signed_in.ctx.layout(), &name, &bio, &website);
            page.show(&errors);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(ProfileUpdateError::NoUser) => Err(PageError::NotFound),
        Err(ProfileUpdateError::Store(error)) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{EN, ZH_CN};

    #[test]
    fn english_messages_read_as_the_rules_word_them_and_chinese_ones_differ() {
        for error in [ProfileError::Name, ProfileError::Bio, ProfileError::Website, ProfileError::Weibo] {
            assert_eq!(profile_error(&EN, error), error.to_string());
            assert_ne!(profile_error(&ZH_CN, error), error.to_string());
        }
    }
}
