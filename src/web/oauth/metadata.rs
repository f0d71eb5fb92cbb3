//! `GET /.well-known/oauth-authorization-server` (RFC 8414) and
//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0
//! §3): one document served at both, so the two always name the same issuer
//! and every endpoint (RFC 8414 §7.1 registers the Discovery fields as
//! authorization server metadata too).
//!
//! It names only what works.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::domain::oidc::SigningAlg;
use crate::domain::scope::Scope;
use crate::oauth::claims;
use crate::state::AppState;
use crate::web::oauth::token::DEVICE_CODE_GRANT;
use crate::web::paths;

/// The server's metadata document.
pub async fn metadata_get(State(state): State<AppState>) -> Json<Value> {
    let issuer = state.settings.issuer();
    let mut grant_types = vec!["authorization_code", "refresh_token", "client_credentials", DEVICE_CODE_GRANT];
    if state.settings.policy.password_grant {
        grant_types.push("password");
    }
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{}", paths::AUTHORIZE),
        "token_endpoint": format!("{issuer}{}", paths::TOKEN),
        "userinfo_endpoint": format!("{issuer}{}", paths::USERINFO),
        "jwks_uri": format!("{issuer}{}", paths::JWKS),
        "end_session_endpoint": format!("{issuer}{}", paths::OIDC_LOGOUT),
        "revocation_endpoint": format!("{issuer}{}", paths::REVOKE),
        "introspection_endpoint": format!("{issuer}{}", paths::INTROSPECT),
        "device_authorization_endpoint": format!("{issuer}{}", paths::DEVICE_AUTHORIZATION),
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": SigningAlg::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "claims_supported": claims::SUPPORTED,
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "ui_locales_supported": ["en", "zh-CN"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "service_documentation": format!("{issuer}/"),
    }))
}
