//! `/settings/authorized`: the applications a user has granted, with the
//! scopes and when, and a Revoke button that ends their tokens and forgets
//! the grant (the next authorization shows the consent page again).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::state::AppState;
use crate::web::audit;
use crate::web::error::PageError;
use crate::web::pages::{Layout, SignedIn, render};
use crate::web::params::{Params, ParamsError};
use crate::web::paths;
use crate::web::redirect;
use crate::web::render::date_time;

/// One authorized application as shown.
struct GrantView {
    name: String,
    homepage: String,
    client_id: String,
    scopes: Vec<&'static str>,
    approved: String,
}

#[derive(Template)]
#[template(path = "authorized.html")]
struct AuthorizedPage {
    layout: Layout,
    grants: Vec<GrantView>,
    notice: Option<&'static str>,
}

/// Query of the page.
#[derive(Debug, serde::Deserialize)]
pub struct AuthorizedQuery {
    notice: Option<String>,
}

/// `GET /settings/authorized`
pub async fn authorized_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<AuthorizedQuery>,
) -> Result<Response, PageError> {
    let grants = state
        .store
        .list_grants_for_user(signed_in.user.id)
        .await?
        .into_iter()
        .map(|g| GrantView {
            scopes: g.scopes.iter().map(|s| s.as_str()).collect(),
            approved: date_time(g.updated_at),
            name: g.client.name,
            homepage: g.client.homepage,
            client_id: g.client.client_id,
        })
        .collect();
    let layout = signed_in.ctx.layout();
    let notice = (query.notice.as_deref() == Some("revoked")).then_some(layout.t.access_revoked);
    Ok(render(StatusCode::OK, &AuthorizedPage { layout, grants, notice }))
}

/// `POST /settings/authorized/{client_id}/revoke`
pub async fn revoke_post(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(client_id): Path<String>,
    params: Result<Params, ParamsError>,
) -> Result<Response, PageError> {
    signed_in.checked_params(params)?;
    let client = state.store.find_client(&client_id).await?.ok_or(PageError::NotFound)?;
    let event = SecurityEvent::new(signed_in.user.id, SecurityEventKind::ApplicationRevoked, Some(signed_in.ctx.addr))
        .about(client.name.clone());
    if !state.store.revoke_grant(signed_in.user.id, client.id, state.clock.now(), &event).await? {
        return Err(PageError::NotFound);
    }
    audit::authorization_revoked(signed_in.user.id, &client.client_id, signed_in.ctx.addr);
    Ok(redirect::see_other(&format!("{}?notice=revoked", paths::AUTHORIZED)))
}
