//! `GET /api/v5/openapi.json` (SPEC §8): the OpenAPI 3.1 document of the
//! Open API and of the endpoints a client program calls (token, revoke,
//! introspect, device authorization, UserInfo). utoipa builds it from the
//! `#[utoipa::path]` attribute on each handler and from the handlers' own
//! response and error types; tests compare it with a committed snapshot
//! and validate real responses against it.

pub mod forms;

use std::sync::OnceLock;

use axum::Json;
use axum::extract::State;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Server};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;
use crate::web::error::{BearerErrorBody, MessageBody};

/// The refusals every bearer-protected operation shares (RFC 6750 §3.1),
/// listed once: `responses((status = 200, …), BearerRefusals)`.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "the OpenAPI document's responses; never built")]
pub enum BearerRefusals {
    #[response(
        status = 401,
        description = "No token, or an invalid one.",
        headers(("WWW-Authenticate" = String, description = "`Bearer realm=…`, with `error=\"invalid_token\"` for a bad token."))
    )]
    Unauthorized(BearerErrorBody),
    #[response(
        status = 403,
        description = "`insufficient_scope`: the token lacks the operation's scope, or acts for no user.",
        headers(("WWW-Authenticate" = String))
    )]
    Forbidden(BearerErrorBody),
    #[response(status = 500, description = "Internal error.")]
    Internal(MessageBody),
    #[response(status = 503, description = "Storage is down.", headers(("Retry-After" = i64)))]
    Unavailable(MessageBody),
}

/// The document, less its `servers` (the issuer, which differs per instance).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse",
        description = "The Open API (`/api/v5`) and the OAuth 2 and OpenID Connect endpoints that \
                       client programs call. Parameters of the OAuth endpoints are accepted as \
                       `application/x-www-form-urlencoded`, as JSON, and in the query string. \
                       Error codes follow RFC 6749 §5.2 at the OAuth endpoints and RFC 6750 §3.1 \
                       at the bearer-protected ones.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(
        crate::web::oauth::token::token_post,
        crate::web::oauth::token::revoke_post,
        crate::web::oauth::token::introspect_post,
        crate::web::oauth::device::device_authorization_post,
        crate::web::oauth::oidc::userinfo_get,
        crate::web::oauth::oidc::userinfo_post,
        super::user::user_get,
        super::user::user_patch,
        super::user::emails_get,
    ),
    // Bodies named only by `BearerRefusals`, which utoipa does not collect.
    components(schemas(BearerErrorBody, MessageBody)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "oauth", description = "OAuth 2 (RFC 6749, 7009, 7662, 8628) and OpenID Connect UserInfo"),
        (name = "api", description = "The Open API, opened by an access token or a personal access token"),
    ),
)]
pub struct ApiDoc;

/// The ways a request proves who it is: a bearer token for the Open API and
/// UserInfo, HTTP Basic for clients at the OAuth endpoints.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "`Authorization: Bearer TOKEN` (RFC 6750 §2.1); `Authorization: token TOKEN`, as the \
                 platform's SDKs send it, is accepted alike. An access token or a personal access token.",
            ))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let query = ApiKeyValue::with_description(
            "access_token",
            "The token as the `access_token` query parameter (RFC 6750 §2.3, the platform's documented \
             style); with a form body it may come there instead. Never together with `Authorization`.",
        );
        components.add_security_scheme("access_token", SecurityScheme::ApiKey(ApiKey::Query(query)));
        let basic = HttpBuilder::new()
            .scheme(HttpAuthScheme::Basic)
            .description(Some(
                "Client authentication (RFC 6749 §2.3.1): the form-encoded client id and secret. \
                 Clients may send `client_id` and `client_secret` as parameters instead, never both ways.",
            ))
            .build();
        components.add_security_scheme("client_basic", SecurityScheme::Http(basic));
    }
}

/// The document for the server at `issuer`. The rest of it is built once.
pub fn document(issuer: &str) -> Document {
    static BUILT: OnceLock<Document> = OnceLock::new();
    let mut document = BUILT.get_or_init(ApiDoc::openapi).clone();
    document.servers = Some(vec![Server::new(issuer)]);
    document
}

/// `GET /api/v5/openapi.json`
pub async fn openapi_get(State(state): State<AppState>) -> Json<Document> {
    Json(document(state.settings.issuer()))
}
