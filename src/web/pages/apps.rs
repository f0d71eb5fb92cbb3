//! `/settings/applications…`: a developer's applications (SPEC §1.8). Only
//! the owner sees or changes an application; anyone else gets 404.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::apps::{self, ApplicationForm};
use crate::domain::client::Client;
use crate::domain::oidc::SigningAlg;
use crate::domain::redirect_uri::{self, RedirectUriError};
use crate::domain::scope::Scope;
use crate::domain::scope::{MAX_SCOPE_NAMES, ScopeError};
use crate::domain::user::User;
use crate::state::AppState;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::i18n::{Lang, PageMessage, Texts};
use crate::web::pages::{Layout, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;

#[derive(Template)]
#[template(path = "apps/list.html")]
struct ListPage {
    layout: Layout,
    apps: Vec<Client>,
}

/// One scope checkbox.
struct ScopeOption {
    name: &'static str,
    description: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "apps/form.html")]
struct FormPage {
    layout: Layout,
    title: &'static str,
    action: String,
    submit: &'static str,
    cancel_href: String,
    creating: bool,
    error: Option<String>,
    name: String,
    homepage: String,
    description: String,
    redirect_uris: String,
    scopes: Vec<ScopeOption>,
    public: bool,
    /// The ID token algorithms, the chosen one marked.
    id_token_algs: Vec<(&'static str, bool)>,
    /// The sign-out URLs, one a line.
    post_logout_redirect_uris: String,
}

#[derive(Template)]
#[template(path = "apps/details.html")]
struct DetailsPage {
    layout: Layout,
    app: Client,
    scopes: Vec<(&'static str, &'static str)>,
    new_secret: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "apps/delete.html")]
struct DeletePage {
    layout: Layout,
    name: String,
    client_id: String,
}

/// Query of the details page.
#[derive(Debug, serde::Deserialize)]
pub struct DetailsQuery {
    notice: Option<String>,
}

fn details_href(client: &Client) -> String {
    paths::app(&client.client_id)
}

/// The application `client_id` if `user` owns it; 404 otherwise (also for
/// someone else's, so its existence is not revealed).
async fn owned(state: &AppState, user: &User, client_id: &str) -> Result<Client, PageError> {
    state.store.find_client(client_id).await?.filter(|c| c.owner_id == user.id).ok_or(PageError::NotFound)
}

fn form_page(
    signed_in: &SignedIn,
    form: &ApplicationForm,
    editing: Option<&Client>,
    error: Option<String>,
) -> FormPage {
    let layout = signed_in.ctx.layout();
    let t = layout.t;
    let lang = signed_in.ctx.lang;
    let chosen = crate::domain::scope::ScopeSet::parse(&form.scopes).unwrap_or_default();
    let alg = SigningAlg::parse(&form.id_token_alg).unwrap_or_default();
    FormPage {
        title: if editing.is_some() { t.edit_application } else { t.new_application },
        action: editing.map_or_else(|| paths::APPS.to_owned(), |c| paths::app_edit(&c.client_id)),
        submit: if editing.is_some() { t.save_changes } else { t.create_application },
        cancel_href: editing.map_or_else(|| paths::APPS.to_owned(), details_href),
        creating: editing.is_none(),
        error,
        name: form.name.clone(),
        homepage: form.homepage.clone(),
        description: form.description.clone(),
        redirect_uris: form.redirect_uris.join("\n"),
        scopes: Scope::ALL
            .iter()
            .map(|&s| ScopeOption {
                name: s.as_str(),
                description: lang.scope_description(s),
                checked: chosen.contains(s),
            })
            .collect(),
        public: form.public,
        id_token_algs: SigningAlg::ALL.iter().map(|&a| (a.as_str(), a == alg)).collect(),
        post_logout_redirect_uris: form.post_logout_redirect_uris.join("\n"),
        layout,
    }
}

fn details_page(
    signed_in: &SignedIn,
    app: Client,
    new_secret: Option<String>,
    notice: Option<&'static str>,
) -> DetailsPage {
    let lang: Lang = signed_in.ctx.lang;
    let scopes = app.scopes.iter().map(|s| (s.as_str(), lang.scope_description(s))).collect();
    DetailsPage { layout: signed_in.ctx.layout(), app, scopes, new_secret, notice }
}

/// Why the form was refused, in the page's language.
fn application_error(t: &Texts, error: &apps::ApplicationError) -> String {
    use apps::ApplicationError as E;
    let max = |text: &str, max: usize| text.replace("{max}", &max.to_string());
    match error {
        E::Name => max(t.app_invalid_name, apps::MAX_NAME_CHARS),
        E::Description => max(t.app_description_too_long, apps::MAX_DESCRIPTION_CHARS),
        E::Homepage => t.app_invalid_homepage.to_owned(),
        E::RedirectUriCount => max(t.app_callback_count, apps::MAX_REDIRECT_URIS),
        E::RedirectUri(error) => match error {
            RedirectUriError::NotAbsolute => t.callback_not_absolute.to_owned(),
            RedirectUriError::TooLong => max(t.callback_too_long, redirect_uri::MAX_LEN),
            RedirectUriError::Fragment => t.callback_fragment.to_owned(),
            RedirectUriError::UserInfo => t.callback_userinfo.to_owned(),
            RedirectUriError::InsecureHttp => t.callback_insecure_http.to_owned(),
            RedirectUriError::NonAscii => t.callback_non_ascii.to_owned(),
            RedirectUriError::ForbiddenScheme(scheme) => t.callback_forbidden_scheme.replace("{scheme}", scheme),
        },
        E::Scope(ScopeError::Unknown(scope)) => t.app_unknown_scope.replace("{scope}", scope),
        E::Scope(ScopeError::TooMany) => max(t.app_too_many_scopes, MAX_SCOPE_NAMES),
        E::NoScopes => t.app_no_scopes.to_owned(),
        E::IdTokenAlg => t.app_unknown_id_token_alg.to_owned(),
        E::PostLogoutRedirectUri => max(t.app_invalid_sign_out_urls, apps::MAX_REDIRECT_URIS),
        E::Store(_) => t.error_internal.to_owned(),
    }
}

/// Reads the application form; checkboxes are `scope_NAME=on`.
fn read_form(params: &Params) -> ApplicationForm {
    let text = |name: &str| params.get(name).unwrap_or_default().to_owned();
    let lines = |name: &str| {
        params
            .get(name)
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    ApplicationForm {
        name: text("name"),
        homepage: text("homepage"),
        description: text("description"),
        redirect_uris: lines("redirect_uris"),
        scopes: Scope::ALL
            .iter()
            .filter(|s| params.get(&format!("scope_{}", s.as_str())).is_some())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        public: params.get("public").is_some(),
        id_token_alg: text("id_token_alg"),
        post_logout_redirect_uris: lines("post_logout_redirect_uris"),
    }
}

/// The prologue of every action on one application: a valid CSRF token
/// first, then the application, if the signed-in user owns it.
async fn owned_action(
    state: &AppState,
    signed_in: &SignedIn,
    client_id: &str,
    params: Result<Params, ParamsError>,
) -> Result<(Client, Params), PageError> {
    let params = signed_in.checked_params(params)?;
    let app = owned(state, &signed_in.user, client_id).await?;
    Ok((app, params))
}

/// `GET /settings/applications`
pub async fn list_get(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, PageError> {
    let apps = state.store.list_clients_by_owner(signed_in.user.id).await?;
    Ok(render(StatusCode::OK, &ListPage { layout: signed_in.ctx.layout(), apps }))
}

/// `GET /settings/applications/new`
pub async fn new_get(signed_in: SignedIn) -> Response {
    let form = ApplicationForm { scopes: Scope::UserInfo.as_str().to_owned(), ..ApplicationForm::default() };
    render(StatusCode::OK, &form_page(&signed_in, &form, None, None))
}

/// `POST /settings/applications`: registers the application and shows its
/// secret, once, in the response (never stored, never redirected with).
pub async fn create_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let params = signed_in.checked_params(params)?;
    let form = read_form(&params);
    let now = state.clock.now();
    match apps::register(&*state.store, signed_in.user.id, &form, state.settings.allow_http_callbacks, now).await {
        Ok(registered) => {
            audit::application_created(signed_in.user.id, &registered.client.client_id, signed_in.ctx.addr);
            let secret = registered.secret.map(|s| s.expose().to_owned());
            Ok(render(StatusCode::CREATED, &details_page(&signed_in, registered.client, secret, None)))
        }
        Err(apps::ApplicationError::Store(e)) => Err(e.into()),
        Err(error) => {
            let message = application_error(signed_in.ctx.lang.texts(), &error);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&signed_in, &form, None, Some(message))))
        }
    }
}

/// `GET /settings/applications/{client_id}`
pub async fn details_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(client_id): Path<String>,
    Query(query): Query<DetailsQuery>,
) -> Result<Response, PageError> {
    let app = owned(&state, &signed_in.user, &client_id).await?;
    let t = signed_in.ctx.lang.texts();
    let notice = match query.notice.as_deref() {
        Some("tokens_revoked") => Some(t.tokens_revoked),
        _ => None,
    };
    Ok(render(StatusCode::OK, &details_page(&signed_in, app, None, notice)))
}

/// `GET /settings/applications/{client_id}/edit`
pub async fn edit_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(client_id): Path<String>,
) -> Result<Response, PageError> {
    let app = owned(&state, &signed_in.user, &client_id).await?;
    let form = ApplicationForm {
        name: app.name.clone(),
        homepage: app.homepage.clone(),
        description: app.description.clone(),
        redirect_uris: app.redirect_uris.clone(),
        scopes: app.scopes.to_string(),
        public: app.is_public(),
        id_token_alg: app.id_token_alg.as_str().to_owned(),
        post_logout_redirect_uris: app.post_logout_redirect_uris.clone(),
    };
    Ok(render(StatusCode::OK, &form_page(&signed_in, &form, Some(&app), None)))
}

/// `POST /settings/applications/{client_id}/edit`
pub async fn edit_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(client_id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let (app, params) = owned_action(&state, &signed_in, &client_id, params).await?;
    let form = read_form(&params);
    let now = state.clock.now();
    match apps::update(&*state.store, signed_in.user.id, app.id, &form, state.settings.allow_http_callbacks, now).await
    {
        Ok(Some(updated)) => Ok(redirect::see_other(&details_href(&updated))),
        Ok(None) => Err(PageError::NotFound),
        Err(apps::ApplicationError::Store(e)) => Err(e.into()),
        Err(error) => {
            let message = application_error(signed_in.ctx.lang.texts(), &error);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &form_page(&signed_in, &form, Some(&app), Some(message))))
        }
    }
}

/// `POST /settings/applications/{client_id}/reset_secret`: the new secret is
/// shown once in the response.
pub async fn reset_secret_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(client_id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let (mut app, _) = owned_action(&state, &signed_in, &client_id, params).await?;
    let secret = apps::reset_secret(&*state.store, signed_in.user.id, app.id, state.clock.now())
        .await?
        .ok_or(PageError::BadRequest(PageMessage::NoSecretToReset))?;
    audit::client_secret_reset(signed_in.user.id, &app.client_id, signed_in.ctx.addr);
    app.secret_hint = Some(secret.hint());
    Ok(render(StatusCode::OK, &details_page(&signed_in, app, Some(secret.expose().to_owned()), None)))
}

/// `POST /settings/applications/{client_id}/revoke_tokens`
pub async fn revoke_tokens_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(client_id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let (app, _) = owned_action(&state, &signed_in, &client_id, params).await?;
    let revoked = state.store.revoke_client_tokens(app.id, state.clock.now()).await?;
    audit::application_tokens_revoked(signed_in.user.id, &app.client_id, signed_in.ctx.addr, revoked);
    Ok(redirect::see_other(&format!("{}?notice=tokens_revoked", details_href(&app))))
}

/// `GET /settings/applications/{client_id}/delete`: asks for confirmation.
pub async fn delete_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(client_id): Path<String>,
) -> Result<Response, PageError> {
    let app = owned(&state, &signed_in.user, &client_id).await?;
    Ok(render(StatusCode::OK, &DeletePage { layout: signed_in.ctx.layout(), name: app.name, client_id: app.client_id }))
}

/// `POST /settings/applications/{client_id}/delete`
pub async fn delete_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(client_id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    let (app, _) = owned_action(&state, &signed_in, &client_id, params).await?;
    if !state.store.delete_client(app.id, signed_in.user.id).await? {
        return Err(PageError::NotFound);
    }
    audit::application_deleted(signed_in.user.id, &app.client_id, signed_in.ctx.addr);
    Ok(redirect::see_other(paths::APPS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::{EN, ZH_CN};

    #[test]
    fn english_form_errors_read_as_the_rules_word_them_and_chinese_ones_differ() {
        let errors = [
            apps::ApplicationError::Name,
            apps::ApplicationError::Description,
            apps::ApplicationError::Homepage,
            apps::ApplicationError::RedirectUriCount,
            apps::ApplicationError::NoScopes,
            apps::ApplicationError::IdTokenAlg,
            apps::ApplicationError::Scope(ScopeError::Unknown("repo".into())),
            apps::ApplicationError::Scope(ScopeError::TooMany),
            apps::ApplicationError::RedirectUri(RedirectUriError::NotAbsolute),
            apps::ApplicationError::RedirectUri(RedirectUriError::TooLong),
            apps::ApplicationError::RedirectUri(RedirectUriError::Fragment),
            apps::ApplicationError::RedirectUri(RedirectUriError::UserInfo),
            apps::ApplicationError::RedirectUri(RedirectUriError::InsecureHttp),
            apps::ApplicationError::RedirectUri(RedirectUriError::NonAscii),
            apps::ApplicationError::RedirectUri(RedirectUriError::ForbiddenScheme("javascript".into())),
        ];
        for error in &errors {
            assert_eq!(application_error(&EN, error), error.to_string());
            assert_ne!(application_error(&ZH_CN, error), error.to_string());
        }
    }
}
