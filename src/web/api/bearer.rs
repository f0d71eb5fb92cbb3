//! The access token of an API request: `Authorization: Bearer …` (RFC 6750
//! §2.1), `Authorization: token …` (the platform's SDKs), or the
//! `access_token` query parameter (the platform's documented style, RFC 6750 §2.3).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::oauth::bearer::{self, AccessContext};
use crate::oauth::error::BearerError;
use crate::state::AppState;
use crate::web::params::Params;

/// A request with a valid access token.
pub struct Authenticated(pub AccessContext);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = BearerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = presented_token(parts)?;
        let context = bearer::authenticate(&*state.store, &token, state.clock.now()).await?;
        Ok(Authenticated(context))
    }
}

fn presented_token(parts: &Parts) -> Result<String, BearerError> {
    let from_header = match parts.headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| BearerError::InvalidToken)?;
            match value.trim().split_once(' ') {
                Some((scheme, token))
                    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") =>
                {
                    Some(token.trim().to_owned())
                }
                _ => return Err(BearerError::InvalidToken),
            }
        }
    };
    let from_query = Params::from_query(parts.uri.query()).map_err(|_| BearerError::InvalidToken)?.take("access_token");
    match (from_header, from_query) {
        (Some(token), None) | (None, Some(token)) if !token.is_empty() => Ok(token),
        // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token".
        (Some(_), Some(_)) => Err(BearerError::InvalidToken),
        _ => Err(BearerError::Missing),
    }
}
