//! Reading client credentials from a request (RFC 6749 §2.3.1): HTTP Basic,
//! or `client_id`/`client_secret` in the body or query string. Using both
//! Basic and a body secret is refused ("MUST NOT use more than one authentication method").

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::domain::token::PlainSecret;
use crate::oauth::client_auth::ClientCredentials;
use crate::oauth::error::TokenError;
use crate::web::params::{Params, decode_component};

/// Takes the client credentials out of the headers and parameters.
pub fn take_credentials(headers: &HeaderMap, params: &mut Params) -> Result<ClientCredentials, TokenError> {
    let client_id = params.take("client_id");
    let client_secret = params.take("client_secret");
    match basic_credentials(headers)? {
        Some((id, secret)) => {
            if client_secret.is_some() {
                return Err(TokenError::InvalidRequest("use one client authentication method, not two".into()));
            }
            if client_id.as_ref().is_some_and(|body_id| *body_id != id) {
                return Err(TokenError::InvalidRequest("client_id does not match the Authorization header".into()));
            }
            Ok(ClientCredentials::Secret { client_id: id, secret: PlainSecret::from_presented(secret), basic: true })
        }
        None => match (client_id, client_secret) {
            (Some(id), Some(secret)) => Ok(ClientCredentials::Secret {
                client_id: id,
                secret: PlainSecret::from_presented(secret),
                basic: false,
            }),
            (Some(id), None) => Ok(ClientCredentials::IdOnly(id)),
            (None, Some(_)) => Err(TokenError::InvalidRequest("client_secret was sent without client_id".into())),
            (None, None) => Ok(ClientCredentials::None),
        },
    }
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`.
/// Credentials that decode to invalid UTF-8 or hold a control character are
/// bad input like any such parameter (SPEC §4, "Robustness"): 400, and
/// never passed on to the store.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, TokenError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || TokenError::invalid_client("malformed HTTP Basic credentials", true);
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenError::InvalidRequest("only HTTP Basic client authentication is supported".into()));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let bad_bytes =
        || TokenError::InvalidRequest("the HTTP Basic credentials hold a control character or invalid UTF-8".into());
    let decoded = String::from_utf8(decoded).map_err(|_| bad_bytes())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = decode_component(id.as_bytes()).ok_or_else(bad_bytes)?;
    let secret = decode_component(secret.as_bytes()).ok_or_else(bad_bytes)?;
    if id.is_empty() {
        return Err(malformed());
    }
    Ok(Some((id, secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, authorization.parse().unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let encoded = STANDARD.encode("my%20app:s%3Acret");
        let creds = take_credentials(&headers(&format!("Basic {encoded}")), &mut Params::default()).unwrap();
        match creds {
            ClientCredentials::Secret { client_id, secret, basic } => {
                assert_eq!(client_id, "my app");
                assert_eq!(secret.expose(), "s:cret");
                assert!(basic);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let encoded = STANDARD.encode("a:b");
        let mut params = Params::from_query(Some("client_secret=b")).unwrap();
        let error = take_credentials(&headers(&format!("Basic {encoded}")), &mut params).unwrap_err();
        assert_eq!(error.code(), "invalid_request");
    }

    #[test]
    fn garbage_basic_is_invalid_client() {
        let error = take_credentials(&headers("Basic !!!"), &mut Params::default()).unwrap_err();
        assert!(matches!(error, TokenError::InvalidClient { basic: true, .. }));
    }

    #[test]
    fn control_characters_or_invalid_utf8_in_basic_are_invalid_request() {
        for raw in [&b"a%00:b"[..], b"a:b%00", b"a:%FF", b"a:b\x01", b"\xff:b"] {
            let encoded = STANDARD.encode(raw);
            let error = take_credentials(&headers(&format!("Basic {encoded}")), &mut Params::default()).unwrap_err();
            assert_eq!(error.code(), "invalid_request", "{raw:?}");
        }
    }
}
