//! Two-factor authentication with TOTP (SPEC §7 "Two-factor", RFC 6238):
//! turning it on (a secret shown once as a QR code and as text, confirmed by
//! a first code, then ten recovery codes shown once), turning it off (with
//! the password), and the second sign-in step: a short-lived challenge made
//! when the password was right, answered with an app's code or a recovery
//! code, throttled per account like passwords. No session exists until the
//! second factor is given.

use std::net::IpAddr;
use std::sync::Arc;

use crate::accounts::{self, AccountError, PasswordHasher, throttle};
use crate::clock::{Clock, UnixTime};
use crate::domain::oidc::{KeyMaterial, KeyProtection};
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::throttle::Outcome;
use crate::domain::token::{PlainSecret, SecretHash, SecretKind};
use crate::domain::two_factor::{RecoveryCode, SecondFactor, Totp, TotpSecret};
use crate::domain::user::{User, UserId};
use crate::keys::{KeyEncryptionKey, KeyError, Sealer};
use crate::store::{Store, StoreError, TwoFactorChallenge, TwoFactorRecord};

/// How long the second sign-in step waits for its code.
pub const CHALLENGE_TTL: i64 = 300;
/// How long a begun setup waits for its first code (the page says so).
pub const SETUP_TTL: i64 = 3_600;

/// What can go wrong with two-factor authentication.
#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    /// The code is not the app's current one, was used before, or is not a
    /// recovery code of this account.
    #[error("wrong or used code")]
    WrongCode,
    /// The password given to turn two-factor off is wrong.
    #[error("wrong password")]
    WrongPassword,
    /// Too many wrong answers lately.
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    Throttled {
        /// Seconds until the next attempt may be made.
        retry_after: i64,
    },
    /// There is no setup to confirm (never begun, lapsed, or on already).
    #[error("no two-factor setup is waiting")]
    NoSetup,
    /// A secret could not be sealed (never expected).
    #[error(transparent)]
    Sealing(#[from] KeyError),
    /// A stored secret does not open: it was sealed and no key-encryption
    /// key, or another one, is configured now.
    #[error("the two-factor secret of user {user_id} cannot be read: {why}")]
    Unreadable {
        /// Whose.
        user_id: i64,
        /// Why.
        why: &'static str,
    },
    /// Checking failed (hashing, a task that died).
    #[error(transparent)]
    Account(AccountError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccountError> for TwoFactorError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Store(store) => TwoFactorError::Store(store),
            AccountError::Throttled { retry_after } => TwoFactorError::Throttled { retry_after },
            AccountError::InvalidCredentials => TwoFactorError::WrongPassword,
            other => TwoFactorError::Account(other),
        }
    }
}

/// Seals TOTP secrets at rest with the operator's key-encryption key, under
/// a key of their own, bound to their user; stores them as they are without
/// one (docs/security.md says what guards them then).
#[derive(Debug)]
pub struct TotpSealer(Option<Sealer>);

impl TotpSealer {
    /// From the configured key-encryption key, if any.
    pub fn new(kek: Option<&KeyEncryptionKey>) -> Result<TotpSealer, KeyError> {
        Ok(TotpSealer(kek.map(Sealer::for_totp_secrets).transpose()?))
    }

    /// The associated data: a sealed secret copied onto another user's row
    /// does not open.
    fn bound_to(user_id: UserId) -> String {
        format!("two-factor user {}", user_id.0)
    }

    fn seal(&self, user_id: UserId, secret: &TotpSecret) -> Result<(KeyMaterial, KeyProtection), KeyError> {
        Ok(match &self.0 {
            Some(sealer) => {
                (KeyMaterial(sealer.seal(&Self::bound_to(user_id), secret.expose())?), KeyProtection::Aes256Gcm)
            }
            None => (KeyMaterial(secret.expose().to_vec()), KeyProtection::None),
        })
    }

    fn open(&self, user_id: UserId, record: &TwoFactorRecord) -> Result<TotpSecret, TwoFactorError> {
        let unreadable = |why| TwoFactorError::Unreadable { user_id: user_id.0, why };
        let opened = match (record.protection, &self.0) {
            (KeyProtection::None, _) => return TotpSecret::from_bytes(&record.secret.0).ok_or(unreadable("length")),
            (KeyProtection::Aes256Gcm, Some(sealer)) => sealer
                .open(&Self::bound_to(user_id), &record.secret.0)
                .map_err(|_| unreadable("it does not open with this key-encryption key"))?,
            (KeyProtection::Aes256Gcm, None) => {
                return Err(unreadable("it is sealed and no key-encryption key is set"));
            }
        };
        TotpSecret::from_bytes(&opened).ok_or(unreadable("length"))
    }
}

/// Whether the user has two-factor authentication on.
pub async fn is_on(store: &dyn Store, user_id: UserId) -> Result<bool, StoreError> {
    Ok(store.find_two_factor(user_id).await?.is_some_and(|record| record.enabled_at.is_some()))
}

/// What the security page shows about two-factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Off.
    Off,
    /// On, with this many recovery codes unused.
    On {
        /// Unused recovery codes.
        recovery_codes_left: i64,
    },
}

/// The user's two-factor status.
pub async fn status(store: &dyn Store, user_id: UserId) -> Result<Status, StoreError> {
    if !is_on(store, user_id).await? {
        return Ok(Status::Off);
    }
    Ok(Status::On { recovery_codes_left: store.count_recovery_codes(user_id).await? })
}

/// Begins turning two-factor on: a fresh secret awaits its first code,
/// replacing any earlier unconfirmed one. `false` when it is on already.
pub async fn begin_setup(
    store: &dyn Store,
    sealer: &TotpSealer,
    user_id: UserId,
    now: UnixTime,
) -> Result<bool, TwoFactorError> {
    let (secret, protection) = sealer.seal(user_id, &TotpSecret::generate())?;
    Ok(store.begin_two_factor_setup(user_id, &secret, protection, now).await?)
}

/// The setup awaiting its first code: the generator of its secret, to show
/// as a QR code and as text. `None` when there is none, it lapsed, or
/// two-factor is on.
pub async fn pending_setup(
    store: &dyn Store,
    sealer: &TotpSealer,
    user: &User,
    now: UnixTime,
) -> Result<Option<Totp>, TwoFactorError> {
    let Some(record) = pending(store, user.id, now).await? else {
        return Ok(None);
    };
    let secret = sealer.open(user.id, &record)?;
    Ok(Some(Totp::new(&secret, &user.email)))
}

async fn pending(store: &dyn Store, user_id: UserId, now: UnixTime) -> Result<Option<TwoFactorRecord>, StoreError> {
    let record = store.find_two_factor(user_id).await?;
    Ok(record.filter(|r| r.enabled_at.is_none() && r.created_at > now - SETUP_TTL))
}

/// Confirms the setup with the app's first code and turns two-factor on;
/// the ten recovery codes, to show once (only their hashes are kept).
pub async fn confirm_setup(
    store: &dyn Store,
    sealer: &TotpSealer,
    user: &User,
    typed: &str,
    now: UnixTime,
    address: IpAddr,
) -> Result<Vec<RecoveryCode>, TwoFactorError> {
    let record = pending(store, user.id, now).await?.ok_or(TwoFactorError::NoSetup)?;
    let totp = Totp::new(&sealer.open(user.id, &record)?, &user.email);
    let Some(SecondFactor::Totp(code)) = SecondFactor::parse(typed) else {
        return Err(TwoFactorError::WrongCode);
    };
    let step = totp.verify(&code, now, record.last_used_step).ok_or(TwoFactorError::WrongCode)?;
    let codes = RecoveryCode::generate_set();
    let hashes: Vec<SecretHash> = codes.iter().map(RecoveryCode::hash).collect();
    let event = SecurityEvent::new(user.id, SecurityEventKind::TwoFactorEnabled, Some(address));
    if !store.enable_two_factor(user.id, &record.secret, step, &hashes, &event, now).await? {
        return Err(TwoFactorError::NoSetup);
    }
    Ok(codes)
}

/// Turns two-factor off once the password is right (checked and throttled
/// as a sign-in of this account is). `false` if it was not on.
pub async fn disable(
    store: &Arc<dyn Store>,
    hasher: &PasswordHasher,
    clock: &Arc<dyn Clock>,
    user: &User,
    password: &str,
    address: IpAddr,
) -> Result<bool, TwoFactorError> {
    let signed_in = accounts::sign_in(store, hasher, clock, &user.email, password, address).await?;
    if signed_in.id != user.id {
        return Err(TwoFactorError::WrongPassword);
    }
    let event = SecurityEvent::new(user.id, SecurityEventKind::TwoFactorDisabled, Some(address));
    Ok(store.disable_two_factor(user.id, &event, clock.now()).await?)
}

/// Starts the second sign-in step for `user_id`, who gave the right
/// password: the challenge's id for the browser's cookie (only its hash is
/// stored), bound to the user and to where the sign-in goes afterwards.
pub async fn start_challenge(
    store: &dyn Store,
    user_id: UserId,
    return_to: &str,
    now: UnixTime,
) -> Result<PlainSecret, StoreError> {
    let id = PlainSecret::generate(SecretKind::TwoFactorChallenge);
    let challenge = TwoFactorChallenge { user_id, return_to: return_to.to_owned(), expires_at: now + CHALLENGE_TTL };
    store.insert_two_factor_challenge(&id.hash(), &challenge).await?;
    Ok(id)
}

/// How the second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// An authenticator app's code.
    Totp,
    /// A recovery code (now spent).
    RecoveryCode,
}

/// Checks the second factor of `user_id`'s sign-in, throttled per account
/// (and per address) by the same rule as passwords: admitted before the
/// check, settled after. A wrong answer is recorded in the account's
/// security log: whoever gave it knew the password. Runs as a task of its
/// own, as `accounts::sign_in` does, so a client that hangs up still has its
/// attempt settled.
pub async fn verify_second_factor(
    store: &Arc<dyn Store>,
    sealer: &Arc<TotpSealer>,
    clock: &Arc<dyn Clock>,
    user_id: UserId,
    typed: &str,
    address: IpAddr,
) -> Result<Proof, TwoFactorError> {
    let (store, sealer, clock) = (Arc::clone(store), Arc::clone(sealer), Arc::clone(clock));
    let typed = zeroize::Zeroizing::new(typed.to_owned());
    let attempt = tokio::spawn(async move {
        let attempt = throttle::Attempt::second_factor(user_id, address);
        match throttle::admit(&*store, &attempt, &*clock).await? {
            throttle::Admitted::Yes => {}
            throttle::Admitted::Locked(retry_after) => return Err(TwoFactorError::Throttled { retry_after }),
            throttle::Admitted::Busy => return Err(TwoFactorError::Store(accounts::crowded())),
        }
        let result = check(&*store, &sealer, user_id, &typed, clock.now(), address).await;
        let outcome = match &result {
            Ok(_) => Outcome::Succeeded,
            Err(TwoFactorError::WrongCode) => Outcome::Failed,
            Err(_) => Outcome::Refunded,
        };
        throttle::settle(&*store, &attempt, clock.now(), outcome).await?;
        if outcome == Outcome::Failed {
            let event = SecurityEvent::new(user_id, SecurityEventKind::TwoFactorFailed, Some(address));
            store.record_security_event(&event, clock.now()).await?;
        }
        result
    });
    attempt.await.map_err(|e| TwoFactorError::Account(AccountError::Hash(accounts::HashError::from_join(&e))))?
}

/// The check itself: an app's code spends its time step (never accepted
/// twice, nor an older one after it), a recovery code spends itself.
async fn check(
    store: &dyn Store,
    sealer: &TotpSealer,
    user_id: UserId,
    typed: &str,
    now: UnixTime,
    address: IpAddr,
) -> Result<Proof, TwoFactorError> {
    let record = store.find_two_factor(user_id).await?.filter(|r| r.enabled_at.is_some());
    let (Some(record), Some(answer)) = (record, SecondFactor::parse(typed)) else {
        return Err(TwoFactorError::WrongCode);
    };
    match answer {
        SecondFactor::Totp(code) => {
            let totp = Totp::new(&sealer.open(user_id, &record)?, "");
            let step = totp.verify(&code, now, record.last_used_step).ok_or(TwoFactorError::WrongCode)?;
            let spent = store.spend_totp_step(user_id, step).await?;
            if spent { Ok(Proof::Totp) } else { Err(TwoFactorError::WrongCode) }
        }
        SecondFactor::Recovery(code) => {
            let event = SecurityEvent::new(user_id, SecurityEventKind::RecoveryCodeUsed, Some(address));
            let spent = store.spend_recovery_code(user_id, &code.hash(), &event, now).await?;
            if spent { Ok(Proof::RecoveryCode) } else { Err(TwoFactorError::WrongCode) }
        }
    }
}
