//! Pure types of the domain: parsed once at the edge, no IO, no axum, no sqlx.

pub mod client;
pub mod device;
pub mod email;
pub mod oidc;
pub mod passkey;
pub mod personal_token;
pub mod pkce;
pub mod profile;
pub mod redirect_uri;
pub mod response_mode;
pub mod scope;
pub mod security_event;
pub mod throttle;
pub mod token;
pub mod two_factor;
pub mod user;
