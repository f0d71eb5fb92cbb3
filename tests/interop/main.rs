//! Interop tests: Gatehouse as the OpenID Provider of three real relying
//! parties, each set up as docs/oidc.md shows: Apache httpd with
//! `mod_auth_openidc`, a Python app with Authlib, a Node app with
//! openid-client. Gatehouse is the real binary on the real clock (relying
//! parties check `iat` and `exp` against theirs); the person is a cookie jar
//! that fills in the sign-in and consent forms. `scripts/test` installs the
//! three; a missing one fails its test. `readme` runs README.md's device
//! grant example, its shell blocks as written, against the same binary.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

#[path = "../api/helpers.rs"]
#[expect(dead_code, reason = "shared with the API tests, which use all of it")]
mod helpers;

mod docs;
mod gatehouse;
mod person;
mod process;
mod relying_party;

mod apache;
mod authlib;
mod openid_client;
mod readme;
