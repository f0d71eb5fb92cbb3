//! Gatehouse: an OAuth 2 authorization server and account service for the
//! Code Cloud platform. See ARCHITECTURE.md for the map.

pub mod accounts; // sign-up and sign-in rules, Argon2id hashing, two-factor (TOTP)
pub mod apps; // developer applications: registration rules
pub mod cli; // the `gatehouse` command line
pub mod clock; // the only reader of the wall clock
pub mod config; // settings from defaults, TOML, environment and flags
pub mod domain; // pure types: scopes, tokens, callbacks, PKCE, users, clients, OIDC, two-factor
pub mod keys; // ID token signing keys: made, stored, rotated, published
pub mod mail; // sending mail off the request path: SMTP or .eml files (the only lettre user)
pub mod metrics; // Prometheus counters and the process collector, one registry per server
pub mod oauth; // protocol rules: authorize, grants, ID tokens, bearer, userinfo, revoke, introspect
pub mod startup; // bind, serve, shut down
pub mod state; // what handlers share
pub mod store; // the Store trait and its SQLite backend
pub mod web; // HTTP: routes, pages, error mapping (the only axum user)
