//! One integration-test binary: each module drives the real server over HTTP.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod helpers;
mod pg_cluster;

mod account_security;
mod attacks;
mod authorization_code;
mod bad_bytes;
mod bad_input;
mod cli;
mod client_credentials;
mod consent;
mod corpus_replay;
mod early_close;
mod logs;
mod oidc;
mod oidc_logout;
mod oidc_prompt;
mod open_api;
mod pages;
mod password_grant;
mod pkce;
mod refresh_token;
mod revoke_introspect;
mod scale_out;
mod scopes;
mod settings;
mod storage_faults;
mod store_contract;
mod two_factor;
mod user_agent;
