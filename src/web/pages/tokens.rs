//! `/settings/tokens` (SPEC §7 "Personal access tokens"): **Description**,
//! scope checkboxes, **Expiration**, **Generate token**; the new token shown
//! once, in the answer to the form (never stored, never redirected with);
//! the list with scopes, expiry and last use; **Revoke**.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::accounts::personal_tokens::{self, Generated};
use crate::clock::UnixTime;
use crate::domain::personal_token::{
    self, Expiration, MAX_DESCRIPTION_CHARS, MAX_TOKENS_PER_USER, PersonalToken, PersonalTokenError, PersonalTokenId,
    PersonalTokenRequest,
};
use crate::domain::scope::{Scope, ScopeSet};
use crate::state::AppState;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::i18n::Texts;
use crate::web::pages::{Layout, NoticeQuery, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::render::date_time;

/// One token as the list shows it.
struct TokenView {
    id: String,
    description: String,
    scopes: Vec<&'static str>,
    created: String,
    expires: String,
    expired: bool,
    last_used: String,
}

/// One scope checkbox.
struct ScopeOption {
    name: &'static str,
    description: &'static str,
    checked: bool,
}

/// One choice of the expiration menu.
struct ExpirationOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "settings/tokens.html")]
struct TokensPage {
    layout: Layout,
    notice: Option<&'static str>,
    /// The token just generated, in the clear: this once.
    new_token: Option<String>,
    tokens: Vec<TokenView>,
    error: Option<String>,
    description: String,
    scopes: Vec<ScopeOption>,
    expirations: Vec<ExpirationOption>,
}

/// What the form holds: as typed after a refusal, else empty with
/// `user_info` ticked and 30 days chosen.
struct FormState {
    description: String,
    scopes: ScopeSet,
    expiration: String,
}

impl Default for FormState {
    fn default() -> Self {
        FormState {
            description: String::new(),
            scopes: [Scope::UserInfo].into_iter().collect(),
            expiration: Expiration::Month.as_str().to_owned(),
        }
    }
}

fn page(signed_in: &SignedIn, tokens: &[PersonalToken], form: FormState, now: UnixTime) -> TokensPage {
    let layout = signed_in.ctx.layout();
    let lang = signed_in.ctx.lang;
    let t = layout.t;
    TokensPage {
        notice: None,
        new_token: None,
        tokens: tokens.iter().map(|token| view(t, token, now)).collect(),
        error: None,
        scopes: Scope::ALL
            .into_iter()
            .filter(|&s| personal_token::grantable(s))
            .map(|s| ScopeOption {
                name: s.as_str(),
                description: lang.scope_description(s),
                checked: form.scopes.contains(s),
            })
            .collect(),
        expirations: Expiration::ALL
            .into_iter()
            .map(|e| ExpirationOption {
                value: e.as_str(),
                label: expiration_label(t, e),
                selected: e.as_str() == form.expiration,
            })
            .collect(),
        description: form.description,
        layout,
    }
}

fn view(t: &Texts, token: &PersonalToken, now: UnixTime) -> TokenView {
    TokenView {
        id: token.id.to_string(),
        description: token.description.clone(),
        scopes: token.scopes.iter().map(Scope::as_str).collect(),
        created: date_time(token.created_at),
        expires: token.expires_at.map_or_else(|| t.token_never_expires.to_owned(), date_time),
        expired: !token.is_active(now),
        last_used: token.last_used_at.map_or_else(|| t.token_never_used.to_owned(), date_time),
    }
}

fn expiration_label(t: &Texts, expiration: Expiration) -> &'static str {
    match expiration {
        Expiration::Week => t.expiration_7,
        Expiration::Month => t.expiration_30,
        Expiration::Quarter => t.expiration_90,
        Expiration::Year => t.expiration_365,
        Expiration::Never => t.expiration_none,
    }
}

/// Why the form was refused, in the page's language.
fn token_error(t: &Texts, error: &PersonalTokenError) -> String {
    match error {
        PersonalTokenError::Description => {
            t.token_invalid_description.replace("{max}", &MAX_DESCRIPTION_CHARS.to_string())
        }
        PersonalTokenError::NoScopes => t.app_no_scopes.to_owned(),
        PersonalTokenError::Scope(scope) => t.token_scope_not_allowed.replace("{scope}", scope.as_str()),
        PersonalTokenError::Expiration => t.token_invalid_expiration.to_owned(),
        PersonalTokenError::TooMany => t.token_too_many.replace("{max}", &MAX_TOKENS_PER_USER.to_string()),
    }
}

/// `GET /settings/tokens`
pub async fn tokens_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let tokens = state.store.list_personal_tokens(signed_in.user.id).await?;
    let mut page = page(&signed_in, &tokens, FormState::default(), state.clock.now());
    if query.notice.as_deref() == Some("revoked") {
        page.notice = Some(page.layout.t.token_revoked_notice);
    }
    Ok(render(StatusCode::OK, &page))
}

/// Reads the form; checkboxes are `scope_NAME=on`, as on the application form.
fn read_form(params: &Params) -> FormState {
    FormState {
        description: params.get("description").unwrap_or_default().to_owned(),
        scopes: Scope::ALL.into_iter().filter(|s| params.get(&format!("scope_{}", s.as_str())).is_some()).collect(),
        expiration: params.get("expiration").unwrap_or_default().to_owned(),
    }
}

/// `POST /settings/tokens`: generates the token and answers the page with it
/// shown once (201), or the form again with its message (422).
pub async fn generate_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked(params)?;
    let form = read_form(&params);
    let (user_id, addr, now) = (signed_in.user.id, signed_in.ctx.addr, state.clock.now());
    let generated = match PersonalTokenRequest::parse(&form.description, form.scopes.clone(), &form.expiration) {
        Ok(request) => personal_tokens::generate(&*state.store, user_id, request, now, addr).await?,
        Err(error) => return refused(&state, &signed_in, form, &error).await,
    };
    let Some(Generated { secret, token }) = generated else {
        return refused(&state, &signed_in, form, &PersonalTokenError::TooMany).await;
    };
    audit::personal_token_created(user_id, &token.scopes, addr);
    let tokens = state.store.list_personal_tokens(user_id).await?;
    let mut page = page(&signed_in, &tokens, FormState::default(), now);
    page.new_token = Some(secret.expose().to_owned());
    Ok(render(StatusCode::CREATED, &page))
}

/// The form again, as typed, with why it was refused.
async fn refused(
    state: &AppState,
    signed_in: &SignedIn,
    form: FormState,
    error: &PersonalTokenError,
) -> Result<Response, PageError> {
    let tokens = state.store.list_personal_tokens(signed_in.user.id).await?;
    let mut page = page(signed_in, &tokens, form, state.clock.now());
    page.error = Some(token_error(page.layout.t, error));
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// `POST /settings/tokens/{id}/revoke`: ends one of the user's tokens at
/// once (someone else's, or an unknown one, is not found).
pub async fn revoke_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked(params)?;
    let id = id.parse().map(PersonalTokenId).map_err(|_| PageError::NotFound)?;
    let (user_id, addr) = (signed_in.user.id, signed_in.ctx.addr);
    if !personal_tokens::revoke(&*state.store, user_id, id, state.clock.now(), addr).await? {
        return Err(PageError::NotFound);
    }
    audit::personal_token_revoked(user_id, addr);
    Ok(redirect::see_other(&format!("{}?notice=revoked", paths::PERSONAL_TOKENS)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{EN, ZH_CN};

    #[test]
    fn english_form_errors_read_as_the_rules_word_them_and_chinese_ones_differ() {
        let errors = [
            PersonalTokenError::Description,
            PersonalTokenError::NoScopes,
            PersonalTokenError::Scope(Scope::OpenId),
            PersonalTokenError::Expiration,
            PersonalTokenError::TooMany,
        ];
        for error in &errors {
            assert_eq!(token_error(&EN, error), error.to_string());
            assert_ne!(token_error(&ZH_CN, error), error.to_string());
        }
        let labels: Vec<_> = Expiration::ALL.into_iter().map(|e| expiration_label(&EN, e)).collect();
        assert_eq!(labels, ["7 days", "30 days", "90 days", "1 year", "No expiration"]);
    }
}
