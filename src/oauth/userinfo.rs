//! The UserInfo endpoint's rule (OIDC Core §5.3): an access token that holds
//! `openid` and acts for a user gets `sub` and the claims its scopes release.

use crate::domain::scope::Scope;
use crate::oauth::bearer::AccessContext;
use crate::oauth::claims::{ProviderUrls, UserClaims};
use crate::oauth::error::BearerError;

/// The claims for the access token `access` (OIDC Core §5.3.3: errors as
/// RFC 6750 §3.1; a token without `openid` has `insufficient_scope`).
pub fn userinfo(access: AccessContext, urls: ProviderUrls<'_>) -> Result<UserClaims, BearerError> {
    let scopes = access.scopes.clone();
    let user = access.user_with(Scope::OpenId)?;
    Ok(UserClaims::new(&user, &scopes, urls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::ClientPk;
    use crate::oauth::fixtures::{ann, scopes};

    const URLS: ProviderUrls<'static> =
        ProviderUrls { issuer: "https://id.example", avatar: "https://id.example/a.svg" };

    fn access(granted: &str, with_user: bool) -> AccessContext {
        let user = with_user.then(ann);
        let user_id = user.as_ref().map(|u| u.id);
        AccessContext { user_id, user, client_pk: Some(ClientPk(1)), scopes: scopes(granted), record_use: None }
    }

    // OIDC Core §5.3.1: "The Access Token obtained from an OpenID Connect
    // Authentication Request MUST be sent as a Bearer Token"; §5.3.2: "The
    // sub (subject) Claim MUST always be returned in the UserInfo Response";
    // RFC 6750 §3.1 insufficient_scope for a token without `openid`.
    #[test]
    fn oidc_core_5_3_userinfo_needs_openid_and_a_user_and_always_names_sub() {
        let cases = [
            ("openid", true, Ok(serde_json::json!({ "sub": "42" }))),
            (
                "openid email",
                true,
                Ok(serde_json::json!({ "sub": "42", "email": "ann@example.com", "email_verified": false })),
            ),
            ("user_info profile email", true, Err(Some("insufficient_scope"))),
            ("openid", false, Err(Some("insufficient_scope"))),
        ];
        for (granted, with_user, expected) in cases {
            let got = userinfo(access(granted, with_user), URLS)
                .map(|c| serde_json::to_value(c).unwrap())
                .map_err(|e| e.code());
            assert_eq!(got, expected, "{granted}, user: {with_user}");
        }
    }
}
