//! The request bodies of the OpenAPI document. The handlers read their
//! parameters through `Params` (query, form or JSON merged, with the limits
//! and byte checks of SPEC §4), not through these types, which exist only to
//! describe those parameters; tests hold the two together (every
//! `grant_type` named here is one `grant_request` parses, and the API tests
//! send these fields).

use utoipa::ToSchema;

/// A token request (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6; RFC 8628 §3.4),
/// tagged by `grant_type`. Every parameter may also come in the query
/// string (the platform's style); the client authenticates with HTTP Basic
/// or with `client_id` and `client_secret` beside the grant's parameters.
#[derive(ToSchema)]
#[serde(tag = "grant_type")]
#[expect(dead_code, reason = "describes what `token::grant_request` reads; never built")]
pub enum TokenRequest {
    /// Redeems an authorization code (RFC 6749 §4.1.3, PKCE RFC 7636 §4.5).
    #[serde(rename = "authorization_code")]
    AuthorizationCode {
        /// The code from the callback.
        code: String,
        /// The callback the code was sent to, when the authorization request named one.
        redirect_uri: Option<String>,
        /// The PKCE verifier, when the authorization request had a challenge.
        code_verifier: Option<String>,
        #[serde(flatten)]
        client: ClientAuthentication,
    },
    /// Rotates a refresh token (RFC 6749 §6); the platform's clients send no
    /// client credentials, and those that do are checked.
    #[serde(rename = "refresh_token")]
    RefreshToken {
        /// The refresh token; it is spent, and the answer holds the next one.
        refresh_token: String,
        /// A subset of the granted scopes, space-separated.
        scope: Option<String>,
        #[serde(flatten)]
        client: ClientAuthentication,
    },
    /// The resource owner's password (RFC 6749 §4.3.2; the platform's
    /// "cipher" mode). Refused for an account with two-factor on.
    #[serde(rename = "password")]
    Password {
        /// The account's email address.
        username: String,
        /// The account's password.
        password: String,
        /// Scopes, space-separated (`%20`, `+` and commas are accepted).
        scope: Option<String>,
        #[serde(flatten)]
        client: ClientAuthentication,
    },
    /// The client acting for itself (RFC 6749 §4.4.2); confidential clients only.
    #[serde(rename = "client_credentials")]
    ClientCredentials {
        /// Scopes, space-separated.
        scope: Option<String>,
        #[serde(flatten)]
        client: ClientAuthentication,
    },
    /// A device's poll (RFC 8628 §3.4).
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode {
        /// The `device_code` of `POST /oauth/device/code`.
        device_code: String,
        #[serde(flatten)]
        client: ClientAuthentication,
    },
}

/// The client's credentials in the body (RFC 6749 §2.3.1), when it does not
/// use HTTP Basic; never both.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes what `take_credentials` reads; never built")]
pub struct ClientAuthentication {
    /// The client's id; with HTTP Basic it may be left out or must match.
    client_id: Option<String>,
    /// The client's secret (confidential clients).
    client_secret: Option<String>,
}

/// A revocation (RFC 7009 §2.1) or introspection (RFC 7662 §2.1) request.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes what `token_and_credentials` reads; never built")]
pub struct TokenHintRequest {
    /// The token: an access token, a refresh token or a personal access token.
    token: String,
    /// Accepted and not needed: Gatehouse tells the kinds apart by themselves.
    token_type_hint: Option<String>,
    #[serde(flatten)]
    client: ClientAuthentication,
}

/// A device authorization request (RFC 8628 §3.1).
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes what `device_authorization_post` reads; never built")]
pub struct DeviceAuthorizationRequest {
    /// Scopes, space-separated; without it, the application's registered set.
    scope: Option<String>,
    #[serde(flatten)]
    client: ClientAuthentication,
}

/// The token of `POST /oauth/userinfo` in the body (RFC 6750 §2.2), instead
/// of the `Authorization` header.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes what `userinfo_post` reads; never built")]
pub struct UserinfoRequest {
    /// The access token.
    access_token: Option<String>,
}

/// The fields `PATCH /api/v5/user` changes, as the platform's: a field left
/// out stays as it is, one sent empty is cleared (the name cannot be).
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes what `user_patch` reads; never built")]
pub struct UserPatchRequest {
    /// The display name.
    name: Option<String>,
    /// A short text about the user.
    bio: Option<String>,
    /// The user's site (`http` or `https`).
    blog: Option<String>,
    /// The user's Weibo name.
    weibo: Option<String>,
    /// The token, instead of the `Authorization` header (RFC 6750 §2.2).
    access_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema as _;

    use super::*;
    use crate::oauth::error::TokenError;
    use crate::web::oauth::token::grant_request;
    use crate::web::params::Params;

    /// The `grant_type` values the document offers.
    fn documented_grant_types() -> Vec<String> {
        let schema = serde_json::to_value(TokenRequest::schema()).unwrap();
        let variants = schema["oneOf"].as_array().unwrap();
        variants
            .iter()
            .flat_map(|variant| variant["allOf"].as_array().cloned().unwrap_or_else(|| vec![variant.clone()]))
            .filter_map(|part| part["properties"]["grant_type"]["enum"][0].as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn every_documented_grant_type_is_one_the_token_endpoint_parses() {
        let grant_types = documented_grant_types();

        assert_eq!(grant_types.len(), 5, "{grant_types:?}");
        for grant_type in grant_types {
            let mut params = Params::from_query(Some(&format!("grant_type={grant_type}"))).unwrap();
            let parsed = grant_request(&mut params);
            assert!(!matches!(parsed, Err(TokenError::UnsupportedGrantType)), "{grant_type}");
        }
    }
}
