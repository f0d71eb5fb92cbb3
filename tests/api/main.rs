//! One integration-test binary: each module drives the real server over HTTP.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod account_forms;
mod helpers;
mod mail_flows;
mod mailbox;
mod pg_cluster;
mod soft_passkey;

mod account_security;
mod admin;
mod admin_pages;
mod attacks;
mod authorization_code;
mod bad_bytes;
mod bad_input;
mod cli;
mod client_credentials;
mod consent;
mod corpus_replay;
mod delete_account;
mod device;
mod early_close;
mod emails;
mod logs;
mod mail;
mod metrics;
mod oidc;
mod oidc_logout;
mod oidc_prompt;
mod open_api;
mod openapi;
mod operations_guide;
mod pages;
mod passkeys;
mod password_change;
mod password_grant;
mod password_reset;
mod personal_tokens;
mod pkce;
mod profile;
mod refresh_token;
mod request_ids;
mod revoke_introspect;
mod scale_out;
mod scopes;
mod settings;
mod storage_faults;
mod store_contract;
mod two_factor;
mod user_agent;
