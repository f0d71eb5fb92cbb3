//! The access token of an API request: `Authorization: Bearer …` (RFC 6750
//! §2.1), `Authorization: token …` (the platform's SDKs), or the
//! `access_token` query parameter (the platform's documented style, RFC 6750 §2.3);
//! an access token or a personal access token alike.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::oauth::bearer::{self, AccessContext};
use crate::oauth::error::BearerError;
use crate::state::AppState;
use crate::web::params::Params;

/// A request with a valid access token.
pub struct Authenticated(pub AccessContext);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = BearerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token_of(parts)?;
        Ok(Authenticated(authenticate(state, &token).await?))
    }
}

/// Checks a presented token; a personal access token's use is recorded
/// when due (at most once a minute), off the request's path: a failure to
/// write it costs the settings page a minute's accuracy, never the request.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AccessContext, BearerError> {
    let now = state.clock.now();
    let context = bearer::authenticate(&*state.store, token, now).await?;
    if let Some(id) = context.record_use {
        let store = std::sync::Arc::clone(&state.store);
        tokio::spawn(async move {
            if let Err(error) = store.touch_personal_token(id, now).await {
                tracing::debug!(%error, "could not record a personal access token's use");
            }
        });
    }
    Ok(context)
}

/// The token of a request without a body: `Authorization` or the query.
fn token_of(parts: &Parts) -> Result<String, BearerError> {
    let from_query = Params::from_query(parts.uri.query()).map_err(|_| BearerError::InvalidToken)?.take("access_token");
    presented_token(&parts.headers, from_query)
}

/// The token as presented, in the `Authorization` header or as the
/// `access_token` parameter (`from_params`). Bad bytes are an invalid token
/// (401), never passed on: a parameter holding a control character or
/// invalid UTF-8 is refused by [`Params`], and a header token may hold no
/// control character (tokens are printable ASCII; a header value can still
/// carry a tab).
pub fn presented_token(headers: &HeaderMap, from_params: Option<String>) -> Result<String, BearerError> {
    let from_header = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| BearerError::InvalidToken)?;
            match value.trim().split_once(' ') {
                Some((scheme, token))
                    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") =>
                {
                    let token = token.trim();
                    if token.chars().any(char::is_control) {
                        return Err(BearerError::InvalidToken);
                    }
                    Some(token.to_owned())
                }
                _ => return Err(BearerError::InvalidToken),
            }
        }
    };
    match (from_header, from_params) {
        (Some(token), None) | (None, Some(token)) if !token.is_empty() => Ok(token),
        // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token".
        (Some(_), Some(_)) => Err(BearerError::InvalidToken),
        _ => Err(BearerError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(uri: &str, authorization: Option<&str>) -> Parts {
        let mut request = Request::builder().uri(uri);
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn bad_bytes_are_an_invalid_token() {
        for uri in ["/api/v5/user?access_token=%00", "/api/v5/user?access_token=%FF", "/api/v5/user?access_token=a%7Fb"]
        {
            assert!(matches!(token_of(&parts(uri, None)), Err(BearerError::InvalidToken)), "{uri}");
        }
        let tab = parts("/api/v5/user", Some("Bearer gat_a\tb"));
        assert!(matches!(token_of(&tab), Err(BearerError::InvalidToken)));
        let fine = parts("/api/v5/user?access_token=gat_ab", None);
        assert_eq!(token_of(&fine).unwrap(), "gat_ab");
    }
}
