//! Accounts: sign-up and sign-in rules, shared by the pages, the password
//! grant and the CLI; the profile, a password change, deleting an account,
//! personal access tokens; email addresses and password reset by mail.

pub mod emails;
pub mod passkeys;
pub mod password;
pub mod personal_tokens;
pub mod profile;
pub mod reauth;
pub mod reset;
pub mod throttle;
pub mod two_factor;

use std::net::IpAddr;

use std::sync::Arc;

use crate::clock::{Clock, UnixTime};
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::throttle::Outcome;
use crate::domain::user::{AccountFieldError, Email, Login, Password, User, UserId};
use crate::store::{NewUser, Store, StoreError};

pub use password::{Argon2Settings, HashError, PasswordHasher};

/// Why an account could not be created or signed in to.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field failed its rule; the message is for the user.
    #[error(transparent)]
    Field(#[from] AccountFieldError),
    /// The email belongs to another account.
    #[error("An account with this email already exists")]
    EmailTaken,
    /// The login belongs to another account.
    #[error("This username is taken")]
    LoginTaken,
    /// Unknown email or wrong password: deliberately one answer for both.
    #[error("Incorrect email or password")]
    InvalidCredentials,
    /// Too many recent failures for this account or address.
    #[error("Too many failed attempts; try again in {retry_after} seconds")]
    Throttled {
        /// Seconds until the next attempt may be made.
        retry_after: i64,
    },
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> Self {
        match error {
            // An address belongs to one account, as its primary address or
            // another (SPEC §7 "Emails").
            StoreError::Conflict { constraint: "users_email_key" | "emails_email_key" } => AccountError::EmailTaken,
            StoreError::Conflict { constraint: "users_login_key" } => AccountError::LoginTaken,
            other => AccountError::Store(other),
        }
    }
}

/// Creates an account from what a person typed.
pub async fn sign_up(
    store: &dyn Store,
    hasher: &PasswordHasher,
    email: &str,
    login: &str,
    password: &str,
    now: UnixTime,
) -> Result<User, AccountError> {
    // An address a mail can reach: the account's verification and reset
    // links go there.
    let email = emails::parse_address(email)?;
    let login = Login::parse(login)?;
    let password = Password::parse_new(password)?;
    let password_hash = hasher.hash(password).await?;
    let new_user = NewUser { name: login.as_str().to_owned(), login, email, password_hash };
    Ok(store.insert_user(&new_user, now).await?)
}

/// Checks an email and password. Unknown email and wrong password take the
/// same time and give the same error.
pub async fn authenticate(
    store: &dyn Store,
    hasher: &PasswordHasher,
    email: &str,
    password: &str,
) -> Result<User, AccountError> {
    verify(store, hasher, email, password).await?.map_err(|_| AccountError::InvalidCredentials)
}

/// Checks credentials: the user, or whose account a wrong password was for
/// (`None`: no account has the address).
async fn verify(
    store: &dyn Store,
    hasher: &PasswordHasher,
    email: &str,
    password: &str,
) -> Result<Result<User, Option<UserId>>, AccountError> {
    let credentials = match Email::parse(email) {
        Ok(email) => store.find_user_credentials(email.as_str()).await?,
        Err(_) => None,
    };
    let (user, hash) = match credentials {
        Some(c) => (Some(c.user), Some(c.password_hash)),
        None => (None, None),
    };
    let matched = hasher.verify(Password::presented(password), hash).await;
    Ok(match user {
        Some(user) if matched => Ok(user),
        other => Err(other.map(|u| u.id)),
    })
}

/// Signs in with throttling: every attempt is admitted on the account and
/// the address before the password is checked (refused while either is
/// locked, waiting while their budgets are in flight) and settled after: a
/// failure counts, a success resets the account's count.
///
/// The whole attempt runs as a task of its own, so a client that hangs up
/// mid-check (or a request timeout) cannot leave its attempt admitted and
/// never settled, holding a place of the budget.
pub async fn sign_in(
    store: &Arc<dyn Store>,
    hasher: &PasswordHasher,
    clock: &Arc<dyn Clock>,
    email: &str,
    password: &str,
    address: IpAddr,
) -> Result<User, AccountError> {
    let (store, hasher, clock) = (Arc::clone(store), hasher.clone(), Arc::clone(clock));
    let (email, password) = (email.to_owned(), Password::presented(password));
    let attempt = tokio::spawn(async move {
        let attempt = throttle::Attempt::new(&email, address);
        match throttle::admit(&*store, &attempt, &*clock).await? {
            throttle::Admitted::Yes => {}
            throttle::Admitted::Locked(retry_after) => return Err(AccountError::Throttled { retry_after }),
            throttle::Admitted::Busy => return Err(AccountError::Store(crowded())),
        }
        let (result, failed_for) = match verify(&*store, &hasher, &email, password.expose()).await {
            Ok(Ok(user)) => (Ok(user), None),
            Ok(Err(failed_for)) => (Err(AccountError::InvalidCredentials), failed_for),
            Err(error) => (Err(error), None),
        };
        let outcome = match &result {
            Ok(_) => Outcome::Succeeded,
            Err(AccountError::InvalidCredentials) => Outcome::Failed,
            Err(_) => Outcome::Refunded,
        };
        throttle::settle(&*store, &attempt, clock.now(), outcome).await?;
        if let Some(user_id) = failed_for {
            // The account's owner sees the failure in the security log.
            let event = SecurityEvent::new(user_id, SecurityEventKind::SignInFailed, Some(address));
            store.record_security_event(&event, clock.now()).await?;
        }
        result
    });
    attempt.await.map_err(|e| AccountError::Hash(HashError::from_join(&e)))?
}

/// More sign-ins of one account at once than its budget let through within
/// the wait: answered "busy, try again" (503), not as a lock.
#[derive(Debug, thiserror::Error)]
#[error("too many sign-ins of this account at once; try again")]
struct Crowded;

/// The answer to an attempt that waited its whole turn: "busy, try again".
pub(crate) fn crowded() -> StoreError {
    StoreError::Unavailable(Box::new(Crowded))
}
