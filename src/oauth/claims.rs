//! The claims about a user that OpenID Connect hands out (OIDC Core §5.1,
//! §5.4): `sub` always, the `profile` claims with the `profile` scope, and
//! `email`, `email_verified` with the `email` scope. The ID token and the
//! UserInfo endpoint carry the same ones.

use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::clock::UnixTime;
use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::user::User;

/// Where the provider's own pages live, for the claims that are URLs.
#[derive(Debug, Clone, Copy)]
pub struct ProviderUrls<'a> {
    /// The issuer: the public base URL, without a trailing slash.
    pub issuer: &'a str,
    /// The absolute URL of the avatar every account shows for now.
    pub avatar: &'a str,
}

/// Every claim Gatehouse may state about a user, for discovery's `claims_supported`.
pub const SUPPORTED: [&str; 18] = [
    "sub",
    "iss",
    "aud",
    "azp",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "amr",
    "name",
    "preferred_username",
    "picture",
    "profile",
    "website",
    "updated_at",
    "email",
    "email_verified",
];

/// `sub` and the claims the granted scopes release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserClaims {
    /// The user's id as a decimal string: the `id` of `GET /api/v5/user`
    /// (SPEC §5), never reassigned.
    pub sub: String,
    /// With `profile`.
    #[serde(flatten)]
    pub profile: Option<ProfileClaims>,
    /// With `email`.
    #[serde(flatten)]
    pub email: Option<EmailClaims>,
}

/// OIDC Core §5.1's profile claims that Gatehouse has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProfileClaims {
    /// The display name.
    pub name: String,
    /// The login.
    pub preferred_username: String,
    /// The avatar's URL.
    pub picture: String,
    /// The profile page's URL (the Open API's `html_url`).
    pub profile: String,
    /// The user's site (the Open API's `blog`), when they gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub website: Option<String>,
    /// When the profile last changed, in Unix seconds.
    #[schema(value_type = i64)]
    pub updated_at: UnixTime,
}

/// The `email` scope's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EmailClaims {
    /// The primary address.
    pub email: String,
    /// Whether the user followed a verification link mailed to it (SPEC
    /// §7): a relying party must not link accounts by an unverified address.
    pub email_verified: bool,
}

/// One flat object, as it goes on the wire: `sub`, and each scope's claims
/// present only with their scope (utoipa would describe the flattened
/// `Option`s as "null or all of them", which no answer is).
impl utoipa::PartialSchema for UserClaims {
    fn schema() -> RefOr<Schema> {
        let sub = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The user's id as a decimal string: the `id` of `GET /api/v5/user`."));
        let mut claims = ObjectBuilder::new()
            .description(Some("`sub` and the claims the granted scopes release: `profile`'s, `email`'s."))
            .property("sub", sub)
            .required("sub");
        for scope_claims in [ProfileClaims::schema(), EmailClaims::schema()] {
            if let RefOr::T(Schema::Object(object)) = scope_claims {
                for (name, property) in object.properties {
                    claims = claims.property(name, property);
                }
            }
        }
        claims.into()
    }
}

impl utoipa::ToSchema for UserClaims {}

impl UserClaims {
    /// The claims of `user` that `scopes` release.
    pub fn new(user: &User, scopes: &ScopeSet, urls: ProviderUrls<'_>) -> UserClaims {
        let profile = scopes.contains(Scope::Profile).then(|| ProfileClaims {
            name: user.name.clone(),
            preferred_username: user.login.clone(),
            picture: urls.avatar.to_owned(),
            profile: format!("{}/{}", urls.issuer, user.login),
            website: Some(user.blog.clone()).filter(|blog| !blog.is_empty()),
            updated_at: user.updated_at,
        });
        let email = scopes
            .contains(Scope::Email)
            .then(|| EmailClaims { email: user.email.clone(), email_verified: user.email_verified });
        UserClaims { sub: user.id.to_string(), profile, email }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::fixtures::{NOW, ann, scopes};

    const URLS: ProviderUrls<'static> =
        ProviderUrls { issuer: "https://id.example", avatar: "https://id.example/static/avatar.svg" };

    // OIDC Core §5.4: "profile: This scope value requests access to the
    // End-User's default profile Claims … email: This scope value requests
    // access to the email and email_verified Claims." SPEC §5: `sub` is the
    // user's id as a decimal string.
    #[test]
    fn oidc_core_5_4_each_scope_releases_its_claims_and_sub_is_the_user_id() {
        let cases = [
            ("openid", serde_json::json!({ "sub": "42" })),
            (
                "openid profile",
                serde_json::json!({
                    "sub": "42", "name": "Ann Lee", "preferred_username": "ann",
                    "picture": "https://id.example/static/avatar.svg", "profile": "https://id.example/ann",
                    "updated_at": NOW - 60,
                }),
            ),
            ("openid email", serde_json::json!({ "sub": "42", "email": "ann@example.com", "email_verified": false })),
            ("openid user_info emails", serde_json::json!({ "sub": "42" })),
        ];
        for (granted, expected) in cases {
            let claims = serde_json::to_value(UserClaims::new(&ann(), &scopes(granted), URLS)).unwrap();
            assert_eq!(claims, expected, "{granted}");
        }
    }

    // OIDC Core §5.1: "email_verified: True if the End-User's e-mail address
    // has been verified; otherwise false."
    #[test]
    fn oidc_core_5_1_email_verified_states_whether_the_primary_address_is_verified() {
        for verified in [false, true] {
            let user = User { email_verified: verified, ..ann() };
            let claims = UserClaims::new(&user, &scopes("openid email"), URLS);
            assert_eq!(claims.email.unwrap().email_verified, verified);
        }
    }

    #[test]
    fn a_website_is_claimed_only_when_the_user_gave_one() {
        let user = User { blog: "https://ann.example".into(), ..ann() };
        let claims = UserClaims::new(&user, &scopes("openid profile"), URLS);
        assert_eq!(claims.profile.unwrap().website.as_deref(), Some("https://ann.example"));
    }
}
