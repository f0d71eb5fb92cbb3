//! Row types of the SQL store: what a `SELECT` returns, mapped into the
//! store's records, and the column lists that go with them. `FromRow` is
//! derived generically over the driver's row type, so SQLite and PostgreSQL
//! decode the same structs.

use sqlx::FromRow;

use super::{
    BoundRequest, SessionRecord, SigningKeyRecord, StoreError, StoreResult, ThrottleRecord, TokenKind, TokenRecord,
    UserCredentials,
};
use crate::domain::client::{Client, ClientPk};
use crate::domain::oidc::{Authentication, KeyMaterial, KeyProtection, SigningAlg};
use crate::domain::pkce::CodeChallenge;
use crate::domain::response_mode::ResponseMode;
use crate::domain::scope::ScopeSet;
use crate::domain::token::{FamilyId, SecretHash};
use crate::domain::user::{User, UserId};

#[derive(FromRow)]
pub(super) struct UserRow {
    pub(super) id: UserId,
    pub(super) login: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) password_hash: String,
    pub(super) email_verified: bool,
    pub(super) bio: String,
    pub(super) blog: String,
    pub(super) weibo: String,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
    pub(super) admin: bool,
}

impl UserRow {
    pub(super) fn into_credentials(self) -> UserCredentials {
        let password_hash = self.password_hash.clone();
        UserCredentials { user: self.into_user(), password_hash }
    }

    pub(super) fn into_user(self) -> User {
        User {
            id: self.id,
            login: self.login,
            name: self.name,
            email: self.email,
            email_verified: self.email_verified,
            bio: self.bio,
            blog: self.blog,
            weibo: self.weibo,
            created_at: self.created_at,
            updated_at: self.updated_at,
            admin: self.admin,
        }
    }
}

#[derive(FromRow)]
pub(super) struct ClientRow {
    pub(super) id: ClientPk,
    pub(super) client_id: String,
    pub(super) secret_hash: Option<Vec<u8>>,
    pub(super) secret_hint: Option<String>,
    pub(super) owner_id: UserId,
    pub(super) name: String,
    pub(super) homepage: String,
    pub(super) description: String,
    pub(super) redirect_uris: String,
    pub(super) scopes: String,
    pub(super) id_token_alg: String,
    pub(super) post_logout_redirect_uris: String,
    pub(super) created_at: i64,
}

impl ClientRow {
    pub(super) fn into_client(self) -> Client {
        Client {
            id: self.id,
            client_id: self.client_id,
            secret_hash: self.secret_hash.as_deref().and_then(SecretHash::from_slice),
            secret_hint: self.secret_hint,
            owner_id: self.owner_id,
            name: self.name,
            homepage: self.homepage,
            description: self.description,
            redirect_uris: self.redirect_uris.lines().map(str::to_owned).collect(),
            scopes: parse_scopes(&self.scopes),
            // The schema's CHECK admits only the algorithms `parse` knows.
            id_token_alg: SigningAlg::parse(&self.id_token_alg).unwrap_or_default(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.lines().map(str::to_owned).collect(),
            created_at: self.created_at,
        }
    }
}

/// Scopes are written canonically by us; anything unreadable is treated as
/// granting nothing rather than failing the request.
pub(super) fn parse_scopes(stored: &str) -> ScopeSet {
    ScopeSet::parse(stored).unwrap_or_default()
}

#[derive(FromRow)]
pub(super) struct GrantRow {
    #[sqlx(flatten)]
    pub(super) client: ClientRow,
    pub(super) granted_scopes: String,
    pub(super) granted_at: i64,
    pub(super) approved_at: i64,
}

#[derive(FromRow)]
pub(super) struct RequestRow {
    pub(super) client_pk: ClientPk,
    pub(super) user_id: UserId,
    pub(super) redirect_uri: String,
    pub(super) redirect_uri_given: bool,
    pub(super) scopes: String,
    pub(super) code_challenge: Option<String>,
    pub(super) code_challenge_method: Option<String>,
    pub(super) nonce: Option<String>,
    pub(super) auth_time: Option<i64>,
    pub(super) amr: Option<String>,
}

impl RequestRow {
    /// The request, its PKCE challenge parsed again. A stored challenge that
    /// does not parse is an error, never read as no challenge: that would let
    /// the code be redeemed without a verifier.
    pub(super) fn into_request(self, state: Option<String>) -> StoreResult<BoundRequest> {
        let method = self.code_challenge_method.as_deref();
        let challenge = self
            .code_challenge
            .map(|challenge| CodeChallenge::parse(&challenge, method))
            .transpose()
            .map_err(StoreError::internal)?;
        Ok(BoundRequest {
            client_pk: self.client_pk,
            user_id: self.user_id,
            redirect_uri: self.redirect_uri,
            redirect_uri_given: self.redirect_uri_given,
            scopes: parse_scopes(&self.scopes),
            state,
            challenge,
            nonce: self.nonce,
            auth: authentication(self.auth_time, self.amr.as_deref()),
            // Only a parked request has a mode (`ConsentRow`); a code is
            // redeemed at the token endpoint.
            response_mode: ResponseMode::Query,
        })
    }
}

/// The sign-in a row remembers, if it remembers one.
pub(super) fn authentication(auth_time: Option<i64>, amr: Option<&str>) -> Option<Authentication> {
    auth_time.map(|time| Authentication::from_stored(time, amr.unwrap_or_default()))
}

/// A session's columns.
#[derive(FromRow)]
pub(super) struct SessionRow {
    user_id: UserId,
    csrf_token: String,
    auth_time: i64,
    amr: String,
    user_agent: String,
    ip: String,
    last_seen_at: i64,
}

impl SessionRow {
    pub(super) fn into_record(self) -> SessionRecord {
        SessionRecord {
            user_id: self.user_id,
            csrf_token: self.csrf_token,
            auth: Authentication::from_stored(self.auth_time, &self.amr),
            user_agent: self.user_agent,
            ip: self.ip,
            last_seen_at: self.last_seen_at,
        }
    }
}

/// A session with its id's hash and start, for the sessions page.
#[derive(FromRow)]
pub(super) struct ActiveSessionRow {
    pub(super) id_hash: Vec<u8>,
    pub(super) created_at: i64,
    #[sqlx(flatten)]
    pub(super) session: SessionRow,
}

/// The columns of [`SessionRow`].
macro_rules! session_columns {
    () => {
        "user_id, csrf_token, auth_time, amr, user_agent, ip, last_seen_at"
    };
}
pub(super) use session_columns;

#[derive(FromRow)]
pub(super) struct ConsentRow {
    #[sqlx(flatten)]
    pub(super) request: RequestRow,
    pub(super) state: Option<String>,
    pub(super) response_mode: Option<String>,
    pub(super) expires_at: i64,
}

#[derive(FromRow)]
pub(super) struct CodeRow {
    #[sqlx(flatten)]
    pub(super) request: RequestRow,
    pub(super) family_id: FamilyId,
    pub(super) expires_at: i64,
    pub(super) used_at: Option<i64>,
}

#[derive(FromRow)]
pub(super) struct TokenRow {
    pub(super) kind: String,
    pub(super) client_pk: ClientPk,
    pub(super) client_id: String,
    pub(super) user_id: Option<UserId>,
    pub(super) scopes: String,
    pub(super) family_id: FamilyId,
    pub(super) created_at: i64,
    pub(super) expires_at: i64,
    pub(super) used_at: Option<i64>,
    pub(super) revoked_at: Option<i64>,
    pub(super) auth_time: Option<i64>,
    pub(super) amr: Option<String>,
    // The user, by LEFT JOIN (all NULL for client_credentials tokens).
    pub(super) u_login: Option<String>,
    pub(super) u_name: Option<String>,
    pub(super) u_email: Option<String>,
    pub(super) u_email_verified: bool,
    pub(super) u_bio: Option<String>,
    pub(super) u_blog: Option<String>,
    pub(super) u_weibo: Option<String>,
    pub(super) u_created_at: Option<i64>,
    pub(super) u_updated_at: Option<i64>,
    pub(super) u_admin: Option<bool>,
}

/// The columns of a token lookup: the token, its client's public id and its
/// user, in one indexed read (the bearer check's only query). A macro so
/// the lookup can `concat!` its `WHERE` at compile time.
macro_rules! token_select {
    () => {
        "SELECT t.kind, t.client_pk, c.client_id, t.user_id, t.scopes, t.family_id, t.created_at, \
         t.expires_at, t.used_at, t.revoked_at, t.auth_time, t.amr, u.login AS u_login, u.name AS u_name, u.email AS u_email, \
         EXISTS (SELECT 1 FROM emails e WHERE e.email = u.email AND e.verified_at IS NOT NULL) AS u_email_verified, \
         u.bio AS u_bio, u.blog AS u_blog, u.weibo AS u_weibo, u.created_at AS u_created_at, \
         u.updated_at AS u_updated_at, u.admin AS u_admin \
         FROM tokens t JOIN clients c ON c.id = t.client_pk LEFT JOIN users u ON u.id = t.user_id"
    };
}
pub(super) use token_select;

impl TokenRow {
    pub(super) fn into_record(self) -> TokenRecord {
        let user = match (self.user_id, self.u_login) {
            (Some(id), Some(login)) => Some(User {
                id,
                login,
                name: self.u_name.unwrap_or_default(),
                email: self.u_email.unwrap_or_default(),
                email_verified: self.u_email_verified,
                bio: self.u_bio.unwrap_or_default(),
                blog: self.u_blog.unwrap_or_default(),
                weibo: self.u_weibo.unwrap_or_default(),
                created_at: self.u_created_at.unwrap_or_default(),
                updated_at: self.u_updated_at.unwrap_or_default(),
                admin: self.u_admin.unwrap_or_default(),
            }),
            _ => None,
        };
        TokenRecord {
            user,
            kind: if self.kind == "refresh" { TokenKind::Refresh } else { TokenKind::Access },
            client_pk: self.client_pk,
            client_id: self.client_id,
            user_id: self.user_id,
            scopes: parse_scopes(&self.scopes),
            family_id: self.family_id,
            created_at: self.created_at,
            expires_at: self.expires_at,
            used: self.used_at.is_some(),
            revoked: self.revoked_at.is_some(),
            auth: authentication(self.auth_time, self.amr.as_deref()),
        }
    }
}

/// The columns `UserRow` reads from `users`. Macros rather than constants so
/// that each statement is one `concat!`ed `&'static str`, built at compile
/// time. Whether the primary address is verified is read from its `emails`
/// row (one lookup on its unique index), never kept twice.
macro_rules! user_columns {
    () => {
        "id, login, name, email, password_hash, bio, blog, weibo, created_at, updated_at, admin, \
         EXISTS (SELECT 1 FROM emails e WHERE e.email = users.email AND e.verified_at IS NOT NULL) AS email_verified"
    };
}
pub(super) use user_columns;

/// The columns `ClientRow` reads, each after `$prefix` (`""`, or `"c."` in a join).
macro_rules! client_columns {
    ($prefix:literal) => {
        concat!(
            $prefix,
            "id, ",
            $prefix,
            "client_id, ",
            $prefix,
            "secret_hash, ",
            $prefix,
            "secret_hint, ",
            $prefix,
            "owner_id, ",
            $prefix,
            "name, ",
            $prefix,
            "homepage, ",
            $prefix,
            "description, ",
            $prefix,
            "redirect_uris, ",
            $prefix,
            "scopes, ",
            $prefix,
            "id_token_alg, ",
            $prefix,
            "post_logout_redirect_uris, ",
            $prefix,
            "created_at"
        )
    };
}
pub(super) use client_columns;

/// A throttling key's state.
#[derive(FromRow)]
pub(super) struct ThrottleRow {
    failures: i64,
    last_failure_at: i64,
    locked_until: i64,
    in_flight: i64,
    in_flight_since: i64,
}

/// The columns of a throttling key's state.
macro_rules! throttle_select {
    () => {
        "SELECT failures, last_failure_at, locked_until, in_flight, in_flight_since FROM throttles"
    };
}
pub(super) use throttle_select;

impl ThrottleRow {
    pub(super) fn into_record(self) -> ThrottleRecord {
        ThrottleRecord {
            failures: self.failures,
            last_failure_at: self.last_failure_at,
            locked_until: self.locked_until,
            in_flight: self.in_flight,
            in_flight_since: self.in_flight_since,
        }
    }
}

/// A signing key; `private_key` is `None` when not selected or erased.
#[derive(FromRow)]
pub(super) struct SigningKeyRow {
    kid: String,
    alg: String,
    public_jwk: String,
    #[sqlx(default)]
    private_key: Option<Vec<u8>>,
    protection: String,
    created_at: i64,
    retired_at: Option<i64>,
}

/// The columns of a signing key without its private half.
macro_rules! public_key_select {
    () => {
        "SELECT kid, alg, public_jwk, protection, created_at, retired_at FROM signing_keys"
    };
}
pub(super) use public_key_select;

impl SigningKeyRow {
    /// The record; a row the schema's CHECKs let through always reads, but
    /// one that does not is an error rather than a guess.
    pub(super) fn into_record(self) -> StoreResult<SigningKeyRecord> {
        let unreadable = |what: &str| StoreError::Internal(format!("signing key {}: unknown {what}", self.kid).into());
        let alg = SigningAlg::parse(&self.alg).ok_or_else(|| unreadable("algorithm"))?;
        let protection = KeyProtection::parse(&self.protection).ok_or_else(|| unreadable("protection"))?;
        Ok(SigningKeyRecord {
            alg,
            protection,
            public_jwk: self.public_jwk,
            private_key: self.private_key.map(KeyMaterial),
            created_at: self.created_at,
            retired_at: self.retired_at,
            kid: self.kid,
        })
    }
}
