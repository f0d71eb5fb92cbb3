//! Storage: the `Store` trait that the protocol code sees, the records it
//! moves, and its one SQL implementation over SQLite or PostgreSQL. Only
//! this module imports sqlx.

mod accounts;
mod admin;
mod binds;
mod client_cache;
mod device;
mod emails;
mod fault;
mod passkeys;
mod pool;
mod postgres;
mod rows;
mod sql;
mod sqlite;
mod two_factor;
mod writer;

use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::UnixTime;
use crate::domain::client::{Client, ClientPk, NewClient};
use crate::domain::device::Pace;
use crate::domain::email::{EmailAddress, EmailLink, LinkPurpose};
use crate::domain::oidc::{Authentication, KeyMaterial, KeyProtection, SigningAlg};
use crate::domain::passkey::{CeremonyKind, PasskeyId};
use crate::domain::personal_token::{NewPersonalToken, PersonalToken, PersonalTokenId};
use crate::domain::pkce::CodeChallenge;
use crate::domain::profile::ProfileChange;
use crate::domain::response_mode::ResponseMode;
use crate::domain::scope::ScopeSet;
use crate::domain::security_event::{SecurityEvent, SecurityEventRecord};
use crate::domain::token::{FamilyId, SecretHash};
use crate::domain::user::{Email, Login, User, UserId};

pub use crate::domain::throttle::{ThrottleRecord, ThrottleRule};
pub use admin::{AccountEvent, AccountRecord, AdminStore, AppRecord};
pub use device::{DeviceAnswer, DeviceRecord, DeviceRequest, DeviceState, NewDeviceAuthorization};
use pool::Pool;
use sql::SqlStore;

/// What can go wrong in storage, mapped from the driver's errors once, here.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; `constraint` names the index
    /// (`users_email_key`, `users_login_key`, …), part of the schema contract.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The unique index that refused the write.
        constraint: &'static str,
    },
    /// The database cannot be written or reached right now (a full or
    /// read-only disk, a stopped server, a timeout): worth retrying later.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database URL names no backend this build has.
    #[error("unsupported database URL (expected sqlite://… or postgres://…)")]
    UnsupportedUrl,
    /// Anything else: the database is unreachable, a query failed, …
    #[error("storage failure: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps a failure that is not the driver's (a migration, …).
    fn internal(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Internal(Box::new(error))
    }
}

/// Maps a driver error, once for both databases: a unique violation becomes
/// `Conflict` naming the index, anything else `Internal`.
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(db) = &error
            && db.is_unique_violation()
        {
            return StoreError::Conflict { constraint: unique_index(db.as_ref()) };
        }
        // A fault that can clear by itself is `Unavailable`; one that may
        // have broken the connection also makes the pools shed every
        // connection that lived through it (store/fault.rs).
        match fault::classify(&error) {
            Some(fault::Fault::Broken) => fault::record(),
            Some(fault::Fault::Busy) => {}
            None => return StoreError::internal(error),
        }
        StoreError::Unavailable(Box::new(error))
    }
}

/// The unique indexes callers tell apart, each with how SQLite's message
/// names it: by its columns (`UNIQUE constraint failed: users.email`), or by
/// name for an index on an expression.
const UNIQUE_INDEXES: [(&str, &str); 6] = [
    ("users_email_key", "users.email"),
    // Every address of every account (SPEC §7 "Emails").
    ("emails_email_key", "emails.email"),
    ("users_login_key", "index 'users_login_key'"),
    ("clients_client_id_key", "clients.client_id"),
    // A partial index: SQLite names its column.
    ("signing_keys_current_key", "signing_keys.alg"),
    ("device_codes_user_code_key", "device_codes.user_code_hash"),
];

/// The index a unique violation names: the constraint the driver reports
/// (PostgreSQL), else the one SQLite's message names.
fn unique_index(db: &dyn sqlx::error::DatabaseError) -> &'static str {
    let found = match db.constraint() {
        Some(constraint) => UNIQUE_INDEXES.iter().find(|(name, _)| *name == constraint),
        None => {
            let message = db.message();
            UNIQUE_INDEXES.iter().find(|(name, sqlite_says)| message.contains(name) || message.contains(sqlite_says))
        }
    };
    found.map_or("unknown", |(name, _)| name)
}

/// Shorthand for storage results.
pub type StoreResult<T> = Result<T, StoreError>;

/// A user row with the password hash, for sign-in only.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    /// The user.
    pub user: User,
    /// The Argon2id PHC string.
    pub password_hash: String,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login, already parsed.
    pub login: Login,
    /// Display name.
    pub name: String,
    /// Email, parsed (lower-cased).
    pub email: Email,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// A link to mail, as stored: only the hash of its token.
#[derive(Debug, Clone)]
pub struct NewEmailLink {
    /// SHA-256 of the token in the link.
    pub token_hash: SecretHash,
    /// What it is for.
    pub purpose: LinkPurpose,
    /// The account.
    pub user_id: UserId,
    /// The address it goes to.
    pub email: String,
    /// Now.
    pub created_at: UnixTime,
    /// When it stops working.
    pub expires_at: UnixTime,
}

/// An authorization request validated and bound to a user: what a consent
/// form stands for, and what a code remembers.
#[derive(Debug, Clone)]
pub struct BoundRequest {
    /// The client's internal id.
    pub client_pk: ClientPk,
    /// The signed-in user.
    pub user_id: UserId,
    /// The callback the code will be sent to.
    pub redirect_uri: String,
    /// Whether the client named `redirect_uri` (then the token request must repeat it).
    pub redirect_uri_given: bool,
    /// Scopes to grant.
    pub scopes: ScopeSet,
    /// The client's `state`, echoed back.
    pub state: Option<String>,
    /// PKCE challenge, if the client sent one.
    pub challenge: Option<CodeChallenge>,
    /// The OpenID Connect `nonce`, echoed in the ID token.
    pub nonce: Option<String>,
    /// How and when the user signed in to the session that made the request
    /// (`None` only for requests parked before OpenID Connect existed).
    pub auth: Option<Authentication>,
    /// How the consent page's answer reaches the callback.
    pub response_mode: ResponseMode,
}

/// An authorization code as stored.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    /// What the code was issued for.
    pub request: BoundRequest,
    /// Ties the code to the tokens it issues.
    pub family_id: FamilyId,
    /// Ten minutes after issue.
    pub expires_at: UnixTime,
    /// Set on first redemption.
    pub used: bool,
}

/// Access or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Opens the API.
    Access,
    /// Buys a new access token, once.
    Refresh,
}

impl TokenKind {
    /// The stored and RFC 7009 `token_type_hint` name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        }
    }
}

/// A token as stored, with its client's public id.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Access or refresh.
    pub kind: TokenKind,
    /// The client's internal id.
    pub client_pk: ClientPk,
    /// The client's public `client_id`.
    pub client_id: String,
    /// The user; `None` for `client_credentials` tokens.
    pub user_id: Option<UserId>,
    /// The user's profile, read in the same query.
    pub user: Option<User>,
    /// The granted scopes.
    pub scopes: ScopeSet,
    /// Every token from one grant shares it.
    pub family_id: FamilyId,
    /// Issue time.
    pub created_at: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
    /// A refresh token's first use.
    pub used: bool,
    /// Set on revocation.
    pub revoked: bool,
    /// The sign-in its grant began with (user tokens issued since OpenID
    /// Connect: a refresh's ID token names it).
    pub auth: Option<Authentication>,
}

impl TokenRecord {
    /// Whether the token still works at `now` (not expired, revoked or used).
    pub fn is_active(&self, now: UnixTime) -> bool {
        !self.revoked && !self.used && now < self.expires_at
    }
}

/// Tokens to write in one go.
#[derive(Debug, Clone)]
pub struct NewTokens {
    /// Hash of the access token.
    pub access_hash: SecretHash,
    /// Hash of the refresh token, when one is issued.
    pub refresh_hash: Option<SecretHash>,
    /// The client's internal id.
    pub client_pk: ClientPk,
    /// The user; `None` for `client_credentials`.
    pub user_id: Option<UserId>,
    /// The access token's scopes.
    pub scopes: ScopeSet,
    /// The refresh token's scopes: the grant's, even when a refresh narrowed
    /// the access token (RFC 6749 §6: "MUST be identical").
    pub refresh_scopes: ScopeSet,
    /// The grant they descend from.
    pub family_id: FamilyId,
    /// Issue time.
    pub created_at: UnixTime,
    /// Access token expiry.
    pub access_expires_at: UnixTime,
    /// Refresh token expiry.
    pub refresh_expires_at: UnixTime,
    /// The sign-in the grant began with, for ID tokens issued at a refresh.
    pub auth: Option<Authentication>,
}

/// The outcome of spending a single-use credential (code or refresh token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// It was unused: it is now spent and the new tokens are written.
    Issued,
    /// It was already spent: a replay. Its family has been revoked.
    Replayed,
}

/// A browser session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The signed-in user.
    pub user_id: UserId,
    /// The CSRF token of this session's forms.
    pub csrf_token: String,
    /// When and how the user signed in.
    pub auth: Authentication,
    /// The browser's `User-Agent` at sign-in (at most 512 bytes kept).
    pub user_agent: String,
    /// The address it signed in from.
    pub ip: String,
    /// The last request seen (updated at most once a minute).
    pub last_seen_at: UnixTime,
}

/// A live session as the sessions page lists it.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    /// The hash of its id: how the page names it (never the id itself).
    pub id_hash: SecretHash,
    /// What it records.
    pub record: SessionRecord,
    /// When it began.
    pub created_at: UnixTime,
}

/// A signing key as stored (`store.list_signing_keys` leaves out the
/// private half).
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    /// The key id: its RFC 7638 thumbprint.
    pub kid: String,
    /// What it signs with.
    pub alg: SigningAlg,
    /// The public JWK, as published.
    pub public_jwk: String,
    /// The private key (`None` when not read, or erased on retirement).
    pub private_key: Option<KeyMaterial>,
    /// How the private key is kept.
    pub protection: KeyProtection,
    /// When it was made.
    pub created_at: UnixTime,
    /// When a newer key of its algorithm replaced it.
    pub retired_at: Option<UnixTime>,
}

/// A signing key to store.
#[derive(Debug, Clone)]
pub struct NewSigningKey {
    /// The key id.
    pub kid: String,
    /// What it signs with.
    pub alg: SigningAlg,
    /// The public JWK.
    pub public_jwk: String,
    /// The private key, sealed or not.
    pub private_key: KeyMaterial,
    /// How `private_key` is kept.
    pub protection: KeyProtection,
    /// Now.
    pub created_at: UnixTime,
}

/// A user's TOTP authenticator as stored (SPEC §7 "Two-factor").
#[derive(Debug, Clone)]
pub struct TwoFactorRecord {
    /// The shared secret, sealed or in the clear (`protection`).
    pub secret: KeyMaterial,
    /// How `secret` is kept.
    pub protection: KeyProtection,
    /// When this secret was made (its setup began).
    pub created_at: UnixTime,
    /// When a code confirmed it and two-factor came on; `None`: a setup
    /// still awaiting its first code.
    pub enabled_at: Option<UnixTime>,
    /// The RFC 6238 time step of the last code accepted (-1: none).
    pub last_used_step: i64,
}

/// A sign-in whose password was right, awaiting its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorChallenge {
    /// Who is signing in.
    pub user_id: UserId,
    /// Where to go once signed in (already a safe local path).
    pub return_to: String,
    /// When the challenge lapses.
    pub expires_at: UnixTime,
}

/// A registered passkey (SPEC §7 "Passkeys").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// Its row id, as its owner's page names it.
    pub id: PasskeyId,
    /// Whose.
    pub user_id: UserId,
    /// The authenticator's credential id (unique across accounts).
    pub credential_id: Vec<u8>,
    /// The WebAuthn user handle the credential returns at sign-in.
    pub user_handle: Vec<u8>,
    /// What its owner calls it.
    pub name: String,
    /// webauthn-rs's `Passkey`, serialised (public key and counter).
    pub passkey: String,
    /// When it was added.
    pub created_at: UnixTime,
    /// When it last signed in.
    pub last_used_at: Option<UnixTime>,
}

/// A passkey to store.
#[derive(Debug, Clone)]
pub struct NewPasskey {
    /// Whose.
    pub user_id: UserId,
    /// The authenticator's credential id.
    pub credential_id: Vec<u8>,
    /// The WebAuthn user handle.
    pub user_handle: Vec<u8>,
    /// Its name.
    pub name: String,
    /// webauthn-rs's `Passkey`, serialised.
    pub passkey: String,
    /// Now.
    pub created_at: UnixTime,
}

/// A WebAuthn ceremony awaiting the browser's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyCeremony {
    /// Registration or sign-in.
    pub kind: CeremonyKind,
    /// Who adds a passkey (`None` for a sign-in: nobody is known yet).
    pub user_id: Option<UserId>,
    /// webauthn-rs's ceremony state, serialised (it holds the challenge).
    pub state: String,
    /// When it lapses.
    pub expires_at: UnixTime,
}

/// How many connections the pool holds: open (idle or in use), idle, and
/// the most it may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Open connections, idle or in use.
    pub open: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// The pool's `max_connections`.
    pub max: u32,
}

/// Everything Gatehouse keeps, named by use case. Implemented once, in SQL
/// that runs on both databases (`store/sql.rs`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Write transactions committed since the store opened; with group
    /// commit (`store/writer.rs`) fewer than the writes under load.
    fn commits(&self) -> u64;
    /// The operator's reads and writes (store/admin.rs).
    fn admin(&self) -> &dyn AdminStore;
    /// The connection pool's use now, for the metrics (no IO).
    fn pool_usage(&self) -> PoolUsage;

    /// Creates an account with its (unverified) address; `Conflict` on a
    /// taken email or login.
    async fn insert_user(&self, user: &NewUser, now: UnixTime) -> StoreResult<User>;
    /// A user by id.
    async fn find_user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// A user and password hash by (lower-cased) email, for sign-in.
    async fn find_user_credentials(&self, email: &str) -> StoreResult<Option<UserCredentials>>;

    /// The user's email addresses, the primary one first.
    async fn list_emails(&self, user_id: UserId) -> StoreResult<Vec<EmailAddress>>;
    /// Adds an unverified address to the account of `link` with `link`, its
    /// first verification link, recording `event`; `Conflict` on
    /// `emails_email_key` when any account has the address.
    async fn add_email(&self, link: &NewEmailLink, event: &SecurityEvent) -> StoreResult<EmailAddress>;
    /// Stores a link unless its account has `MAX_LIVE_LINKS` live links of
    /// its purpose already (`false`: nothing stored), recording `event` with
    /// it when given.
    async fn insert_email_link(&self, link: &NewEmailLink, event: Option<&SecurityEvent>) -> StoreResult<bool>;
    /// A mailed link by the hash of its token.
    async fn find_email_link(&self, token: &SecretHash) -> StoreResult<Option<EmailLink>>;
    /// Spends the verification link `token` of `event.user_id` and marks
    /// its address verified, recording `event` (`false`: the link did not
    /// work, or the address is gone).
    async fn verify_email(&self, token: &SecretHash, now: UnixTime, event: &SecurityEvent) -> StoreResult<bool>;
    /// Makes the user's verified address `email` the primary one (the
    /// address they sign in with), recording `event` (`false`: not theirs,
    /// not verified, or primary already).
    async fn set_primary_email(
        &self,
        user_id: UserId,
        email: &str,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool>;
    /// Removes the user's address `email` (never the primary one) and the
    /// links sent to it, recording `event` (`false`: nothing removed).
    async fn remove_email(
        &self,
        user_id: UserId,
        email: &str,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool>;
    /// The account a password-reset link for `email` may go to: its primary
    /// address, or a verified one.
    async fn find_reset_account(&self, email: &str) -> StoreResult<Option<User>>;
    /// Spends the reset link `token` of `event.user_id` and sets the new
    /// password hash; every session of the account ends and its other
    /// reset links stop working, recording `event` (`false`: the link did
    /// not work).
    async fn reset_password(
        &self,
        token: &SecretHash,
        password_hash: &str,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool>;

    /// Registers an application.
    async fn insert_client(&self, client: &NewClient, now: UnixTime) -> StoreResult<Client>;
    /// An application by public `client_id`.
    async fn find_client(&self, client_id: &str) -> StoreResult<Option<Client>>;
    /// An application by internal id.
    async fn find_client_by_pk(&self, id: ClientPk) -> StoreResult<Option<Client>>;

    /// The scope set the user last approved for the client.
    async fn find_grant(&self, user_id: UserId, client_pk: ClientPk) -> StoreResult<Option<ScopeSet>>;
    /// Remembers an approval (replacing the previous set), recording
    /// `event` with it when there is one (a consent; not a password grant).
    async fn save_grant(
        &self,
        user_id: UserId,
        client_pk: ClientPk,
        scopes: &ScopeSet,
        now: UnixTime,
        event: Option<&SecurityEvent>,
    ) -> StoreResult<()>;

    /// Parks a request on the consent page under the hash of its id.
    async fn insert_consent_request(
        &self,
        id: &SecretHash,
        request: &BoundRequest,
        expires_at: UnixTime,
    ) -> StoreResult<()>;
    /// Removes and returns a parked request, if it exists and has not expired.
    async fn take_consent_request(&self, id: &SecretHash, now: UnixTime) -> StoreResult<Option<BoundRequest>>;

    /// Stores a new authorization code.
    async fn insert_authorization_code(
        &self,
        code: &SecretHash,
        request: &BoundRequest,
        family_id: &FamilyId,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> StoreResult<()>;
    /// Reads a code without spending it.
    async fn find_authorization_code(&self, code: &SecretHash) -> StoreResult<Option<CodeRecord>>;
    /// Spends the code and writes `tokens` atomically, or, if it was already
    /// spent, revokes its family instead.
    async fn redeem_authorization_code(
        &self,
        code: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<Redemption>;

    /// Writes tokens that spend nothing (password and client credentials grants).
    async fn insert_tokens(&self, tokens: &NewTokens) -> StoreResult<()>;
    /// A token of either kind by hash.
    async fn find_token(&self, token: &SecretHash) -> StoreResult<Option<TokenRecord>>;
    /// Spends a refresh token and writes its successors atomically, or, if it
    /// was already spent, revokes its family instead.
    async fn rotate_refresh_token(
        &self,
        refresh: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<Redemption>;
    /// Revokes one token.
    async fn revoke_token(&self, token: &SecretHash, now: UnixTime) -> StoreResult<()>;
    /// Revokes every token descended from one grant.
    async fn revoke_family(&self, family_id: &FamilyId, now: UnixTime) -> StoreResult<()>;

    /// Starts a browser session, recording `events` with it (the sign-in).
    async fn insert_session(
        &self,
        id: &SecretHash,
        session: &SessionRecord,
        now: UnixTime,
        expires_at: UnixTime,
        events: &[SecurityEvent],
    ) -> StoreResult<()>;
    /// A live session by the hash of its id.
    async fn find_session(&self, id: &SecretHash, now: UnixTime) -> StoreResult<Option<SessionRecord>>;
    /// Ends a session.
    async fn delete_session(&self, id: &SecretHash) -> StoreResult<()>;
    /// Notes a request on a session (the caller limits this to once a minute).
    async fn touch_session(&self, id: &SecretHash, now: UnixTime) -> StoreResult<()>;
    /// A user's live sessions, the most recently active first.
    async fn list_sessions(&self, user_id: UserId, now: UnixTime) -> StoreResult<Vec<ActiveSession>>;
    /// Ends the user's session `id` (`false`: no such session of theirs),
    /// recording `event` with it.
    async fn delete_user_session(
        &self,
        user_id: UserId,
        id: &SecretHash,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool>;
    /// Ends every session of the user but `keep` (`None`: all of them),
    /// recording `event` with it; how many ended.
    async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: Option<&SecretHash>,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<u64>;

    /// Records an event that is a change of its own (a failed sign-in).
    async fn record_security_event(&self, event: &SecurityEvent, now: UnixTime) -> StoreResult<()>;
    /// The user's security log, newest first, at most `limit` events.
    async fn list_security_events(&self, user_id: UserId, limit: i64) -> StoreResult<Vec<SecurityEventRecord>>;
    /// Deletes up to `limit` events older than `before`; how many.
    async fn purge_security_events(&self, before: UnixTime, limit: i64) -> StoreResult<u64>;

    /// The user's TOTP authenticator, on or only set up.
    async fn find_two_factor(&self, user_id: UserId) -> StoreResult<Option<TwoFactorRecord>>;
    /// Stores a new secret awaiting its first code, replacing an unconfirmed
    /// one; `false` (and nothing written) when two-factor is already on.
    async fn begin_two_factor_setup(
        &self,
        user_id: UserId,
        secret: &KeyMaterial,
        protection: KeyProtection,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Turns on the setup holding exactly `secret`, spending the time step
    /// `step` of the code that confirmed it, replacing the recovery codes with
    /// `recovery_codes` (hashes) and recording `event`, in one transaction;
    /// `false` if that setup is gone or on already.
    async fn enable_two_factor(
        &self,
        user_id: UserId,
        secret: &KeyMaterial,
        step: i64,
        recovery_codes: &[SecretHash],
        event: &SecurityEvent,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Turns two-factor off (secret and recovery codes deleted), recording
    /// `event`; `false` if it was not on.
    async fn disable_two_factor(&self, user_id: UserId, event: &SecurityEvent, now: UnixTime) -> StoreResult<bool>;
    /// Spends a TOTP time step: `true` only when two-factor is on and no code
    /// of `step` or a later step was accepted before (RFC 6238 §5.2). Of
    /// concurrent spends of one step exactly one gets `true`.
    async fn spend_totp_step(&self, user_id: UserId, step: i64) -> StoreResult<bool>;
    /// Spends an unused recovery code of the user, recording `event` with it;
    /// `false` if there is none with this hash.
    async fn spend_recovery_code(
        &self,
        user_id: UserId,
        code: &SecretHash,
        event: &SecurityEvent,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// How many of the user's recovery codes are still unused.
    async fn count_recovery_codes(&self, user_id: UserId) -> StoreResult<i64>;
    /// Parks a sign-in awaiting its second factor under the hash of its id.
    async fn insert_two_factor_challenge(&self, id: &SecretHash, challenge: &TwoFactorChallenge) -> StoreResult<()>;
    /// A challenge that has not lapsed.
    async fn find_two_factor_challenge(
        &self,
        id: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<TwoFactorChallenge>>;
    /// Removes a live challenge once its sign-in is done; `false` if it was
    /// gone (another request completed it, or it lapsed).
    async fn take_two_factor_challenge(&self, id: &SecretHash, now: UnixTime) -> StoreResult<bool>;

    /// The user's passkeys, oldest first.
    async fn list_passkeys(&self, user_id: UserId) -> StoreResult<Vec<PasskeyRecord>>;
    /// The passkey with this credential id, whoever's it is.
    async fn find_passkey_by_credential(&self, credential_id: &[u8]) -> StoreResult<Option<PasskeyRecord>>;
    /// Stores a passkey and records `event`, in one transaction; `Conflict`
    /// (`passkeys_credential_id_key`) when its credential is registered already.
    async fn insert_passkey(&self, passkey: &NewPasskey, event: &SecurityEvent) -> StoreResult<PasskeyId>;
    /// Renames the user's passkey, recording `event`; `false` if the user
    /// has no such passkey (another's stays as it is).
    async fn rename_passkey(
        &self,
        id: PasskeyId,
        user_id: UserId,
        name: &str,
        event: &SecurityEvent,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Removes the user's passkey, recording `event` about its name; the name,
    /// or `None` if the user has no such passkey.
    async fn remove_passkey(
        &self,
        id: PasskeyId,
        user_id: UserId,
        event: &SecurityEvent,
        now: UnixTime,
    ) -> StoreResult<Option<String>>;
    /// Stores the passkey as updated by a sign-in (its counter) and the time
    /// of use; `false` if it was removed meanwhile.
    async fn record_passkey_use(&self, id: PasskeyId, passkey: &str, now: UnixTime) -> StoreResult<bool>;
    /// Parks a ceremony under the hash of its id.
    async fn insert_passkey_ceremony(&self, id: &SecretHash, ceremony: &PasskeyCeremony) -> StoreResult<()>;
    /// Takes a live ceremony of `kind` (single use); `None` if there is none.
    async fn take_passkey_ceremony(
        &self,
        id: &SecretHash,
        kind: CeremonyKind,
        now: UnixTime,
    ) -> StoreResult<Option<PasskeyCeremony>>;

    /// The applications a user owns, newest first.
    async fn list_clients_by_owner(&self, owner_id: UserId) -> StoreResult<Vec<Client>>;
    /// Changes an application's descriptive fields, callbacks and scopes;
    /// `None` unless `owner_id` owns it.
    async fn update_client(
        &self,
        client_pk: ClientPk,
        owner_id: UserId,
        update: &ClientUpdate,
        now: UnixTime,
    ) -> StoreResult<Option<Client>>;
    /// Replaces the secret (the old one stops working at once); `false` unless `owner_id` owns it.
    async fn reset_client_secret(
        &self,
        client_pk: ClientPk,
        owner_id: UserId,
        secret_hash: &SecretHash,
        secret_hint: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Revokes every token issued to the application and forgets its unused
    /// codes; returns how many tokens were revoked.
    async fn revoke_client_tokens(&self, client_pk: ClientPk, now: UnixTime) -> StoreResult<u64>;
    /// Deletes an application with its grants, codes and tokens; `false` unless `owner_id` owns it.
    async fn delete_client(&self, client_pk: ClientPk, owner_id: UserId) -> StoreResult<bool>;

    /// The applications a user has authorized, most recently approved first.
    async fn list_grants_for_user(&self, user_id: UserId) -> StoreResult<Vec<GrantRecord>>;
    /// Forgets a user's grant to an application and revokes the tokens and
    /// unused codes it issued to them; `false` if there was no grant.
    /// `event` is recorded with it when there was a grant.
    async fn revoke_grant(
        &self,
        user_id: UserId,
        client_pk: ClientPk,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool>;

    /// Changes the fields of the profile that `change` gives (validated),
    /// recording `event` with it; `None` if there is no such user.
    async fn update_profile(
        &self,
        user_id: UserId,
        change: &ProfileChange,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<User>>;
    /// Replaces the password hash and ends every session of the user but
    /// `keep`, recording `event` with it; how many sessions ended, `None` if
    /// there is no such user. Tokens (issued and personal) stay.
    async fn change_password(
        &self,
        user_id: UserId,
        password_hash: &str,
        keep: &SecretHash,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<u64>>;
    /// Deletes the account and everything that hangs on it: its
    /// applications (with their grants, codes and tokens), its own grants,
    /// codes, tokens, personal tokens, sessions and security log. `false` if
    /// there was no such user.
    async fn delete_user(&self, user_id: UserId) -> StoreResult<bool>;

    /// Stores a new personal access token unless its owner holds
    /// [`MAX_TOKENS_PER_USER`](crate::domain::personal_token::MAX_TOKENS_PER_USER)
    /// already (then `None`), recording `event` with it.
    async fn insert_personal_token(
        &self,
        token: &NewPersonalToken,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<Option<PersonalToken>>;
    /// A personal access token by the hash of its clear text, with its owner.
    async fn find_personal_token(&self, hash: &SecretHash) -> StoreResult<Option<PersonalTokenRecord>>;
    /// A user's personal access tokens, newest first.
    async fn list_personal_tokens(&self, user_id: UserId) -> StoreResult<Vec<PersonalToken>>;
    /// Deletes the user's token `id` (`false`: no such token of theirs),
    /// recording `event` about the token's description with it.
    async fn revoke_personal_token(
        &self,
        user_id: UserId,
        id: PersonalTokenId,
        now: UnixTime,
        event: &SecurityEvent,
    ) -> StoreResult<bool>;
    /// Records a use of the token (the caller limits this to once a minute).
    async fn touch_personal_token(&self, id: PersonalTokenId, now: UnixTime) -> StoreResult<()>;

    /// The state of a throttling key (an account or a client address).
    async fn find_throttle(&self, key: &str) -> StoreResult<Option<ThrottleRecord>>;
    /// Reads the state of every key (a fresh key reads as all zeros) under
    /// its row lock, in the order given, and writes back what `step` makes of
    /// them, all in one transaction; `step` returning `None` writes nothing.
    /// Returns the states as read. Callers name keys in one fixed order, so
    /// two attempts never wait on each other in a cycle (two group-commit
    /// batches still can; see `postgres::lock_client`).
    async fn update_throttles(&self, keys: &[&str], step: Box<ThrottleStep>) -> StoreResult<Vec<ThrottleRecord>>;
    /// Forgets a key's failures (after a success).
    async fn clear_throttle(&self, key: &str) -> StoreResult<()>;

    /// Every signing key, newest first, without the private halves.
    async fn list_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// The current key of each algorithm, with its private half.
    async fn current_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Stores the first key of its algorithm; `false` (and nothing written)
    /// if the algorithm has a current key already (another instance starting
    /// at the same moment made it).
    async fn insert_first_signing_key(&self, key: &NewSigningKey) -> StoreResult<bool>;
    /// Makes `key` the current key of its algorithm in one transaction: the
    /// previous current key is retired at `now` and its private half erased.
    /// `Conflict` if a concurrent rotation of the same algorithm won.
    async fn rotate_signing_key(&self, key: &NewSigningKey, now: UnixTime) -> StoreResult<()>;

    /// Stores a new device authorization (RFC 8628 §3.2); `Conflict` on
    /// `device_codes_user_code_key` when its user code is taken.
    async fn insert_device_authorization(&self, new: &NewDeviceAuthorization) -> StoreResult<()>;
    /// A device authorization by the hash of its device code (a poll's one read).
    async fn find_device_authorization(&self, device_code: &SecretHash) -> StoreResult<Option<DeviceRecord>>;
    /// The undecided, unexpired request a user code names.
    async fn find_device_request(&self, user_code: &SecretHash, now: UnixTime) -> StoreResult<Option<DeviceRequest>>;
    /// Writes a device's new polling pace if it is still `seen`; `false` if
    /// a concurrent poll changed it first.
    async fn update_device_pace(&self, device_code: &SecretHash, seen: Pace, next: Pace) -> StoreResult<bool>;
    /// Records a user's answer to the undecided, unexpired request a user
    /// code names, and for an approval remembers the grant, atomically;
    /// `None` if there is no such request.
    async fn decide_device_request(
        &self,
        user_code: &SecretHash,
        answer: &DeviceAnswer,
        now: UnixTime,
    ) -> StoreResult<Option<DeviceRequest>>;
    /// Spends an approved, unexpired device code and writes `tokens`
    /// atomically; `false` (nothing written) if it was spent already.
    async fn redeem_device_code(
        &self,
        device_code: &SecretHash,
        tokens: &NewTokens,
        now: UnixTime,
    ) -> StoreResult<bool>;

    /// Deletes up to `limit` expired codes (authorization and device),
    /// consent requests, sessions, throttling keys, tokens (expired longer
    /// than a day), two-factor challenges and two-factor setups unconfirmed
    /// for a day; returns how many rows went.
    async fn purge_expired(&self, now: UnixTime, limit: i64) -> StoreResult<u64>;
}

/// What [`Store::update_throttles`] applies to the keys' states: the new
/// states, one per key in the same order, or `None` to leave them.
/// It runs inside the writer's transaction, so it owns what it uses.
pub type ThrottleStep = dyn Fn(&[ThrottleRecord]) -> Option<Vec<ThrottleRecord>> + Send + Sync + 'static;

/// A personal access token with its owner, as the bearer check reads it.
#[derive(Debug, Clone)]
pub struct PersonalTokenRecord {
    /// The token.
    pub token: PersonalToken,
    /// Its owner's profile, read in the same query.
    pub user: User,
}

/// Fields of an application its owner can change.
#[derive(Debug, Clone)]
pub struct ClientUpdate {
    /// Display name.
    pub name: String,
    /// Homepage URL.
    pub homepage: String,
    /// Free text.
    pub description: String,
    /// Validated callback URLs.
    pub redirect_uris: Vec<String>,
    /// Scopes it may request.
    pub scopes: ScopeSet,
    /// The algorithm its ID tokens are signed with.
    pub id_token_alg: SigningAlg,
    /// Validated sign-out URLs.
    pub post_logout_redirect_uris: Vec<String>,
}

/// An application a user has authorized.
#[derive(Debug, Clone)]
pub struct GrantRecord {
    /// The application.
    pub client: Client,
    /// The scopes last approved.
    pub scopes: ScopeSet,
    /// First approval.
    pub created_at: UnixTime,
    /// Last approval.
    pub updated_at: UnixTime,
}

/// How a server backend's connection pool is sized and bounded (PostgreSQL;
/// SQLite keeps its own small pool and `busy_timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections one instance opens. Instances × this must stay below
    /// the server's `max_connections` (or the pooler's pool size).
    pub max_connections: u32,
    /// Longest a statement may run before the server cancels it, in ms.
    pub statement_timeout_ms: u64,
    /// Longest a request waits for a free pooled connection, in ms.
    pub acquire_timeout_ms: u64,
    /// Whether to send `statement_timeout` as a startup parameter; turn off
    /// behind a pooler that refuses startup options (then set it on the role).
    pub session_options: bool,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            statement_timeout_ms: 5_000,
            acquire_timeout_ms: 5_000,
            session_options: true,
        }
    }
}

/// Opens (creating and migrating if asked) the store a database URL names,
/// with the default pool settings.
pub async fn connect(database_url: &str, migrate: bool) -> StoreResult<Arc<dyn Store>> {
    connect_with(database_url, &PoolSettings::default(), migrate).await
}

/// Opens the store a database URL names (`sqlite://…`, `postgres://…` or
/// `postgresql://…`), applying migrations if asked.
pub async fn connect_with(database_url: &str, pool: &PoolSettings, migrate: bool) -> StoreResult<Arc<dyn Store>> {
    let (pool, max_connections) = if database_url.starts_with("sqlite:") {
        (Pool::Sqlite(sqlite::connect(database_url, migrate).await?), sqlite::MAX_CONNECTIONS)
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        (Pool::Postgres(postgres::connect(database_url, pool, migrate).await?), pool.max_connections)
    } else {
        return Err(StoreError::UnsupportedUrl);
    };
    Ok(Arc::new(SqlStore::new(pool, max_connections)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(login: &str, email: &str) -> NewUser {
        NewUser {
            login: Login::parse(login).unwrap(),
            name: login.into(),
            email: Email::parse(email).unwrap(),
            password_hash: "$argon2id$unused".into(),
        }
    }

    fn client(client_id: &str, owner_id: UserId) -> NewClient {
        NewClient {
            client_id: client_id.into(),
            secret_hash: Some(SecretHash([7; 32])),
            secret_hint: Some("abcd".into()),
            owner_id,
            name: "App".into(),
            homepage: "https://app.example".into(),
            description: String::new(),
            redirect_uris: vec!["https://app.example/callback".into()],
            scopes: ScopeSet::default(),
            id_token_alg: SigningAlg::default(),
            post_logout_redirect_uris: vec![],
        }
    }

    fn conflict<T: std::fmt::Debug>(result: StoreResult<T>) -> &'static str {
        match result {
            Err(StoreError::Conflict { constraint }) => constraint,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    /// SQLite names no constraint, only columns or an index in its message:
    /// each unique index the callers tell apart must still come out by name.
    #[tokio::test]
    async fn sqlite_unique_violations_name_their_index() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = connect(&url, true).await.unwrap();
        let owner = store.insert_user(&user("Octo", "octo@example.com"), 1).await.unwrap();
        store.insert_client(&client("app-1", owner.id), 1).await.unwrap();

        let link = NewEmailLink {
            token_hash: SecretHash([9; 32]),
            purpose: LinkPurpose::Verify,
            user_id: owner.id,
            email: "octo.second@example.com".into(),
            created_at: 1,
            expires_at: 2,
        };
        let event = SecurityEvent::new(owner.id, crate::domain::security_event::SecurityEventKind::EmailAdded, None);
        store.add_email(&link, &event).await.unwrap();

        let email = store.insert_user(&user("other", "octo@example.com"), 2).await;
        let login = store.insert_user(&user("OCTO", "other@example.com"), 2).await;
        let client_id = store.insert_client(&client("app-1", owner.id), 2).await;
        let second = store.insert_user(&user("third", "octo.second@example.com"), 2).await;
        let added_twice = store.add_email(&NewEmailLink { token_hash: SecretHash([8; 32]), ..link }, &event).await;

        assert_eq!(conflict(email), "users_email_key");
        assert_eq!(conflict(login), "users_login_key");
        assert_eq!(conflict(client_id), "clients_client_id_key");
        assert_eq!(conflict(second), "emails_email_key", "another account's address");
        assert_eq!(conflict(added_twice), "emails_email_key");
    }
}
