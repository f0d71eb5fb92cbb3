//! The device authorization grant (RFC 8628) outside the token endpoint:
//! the device authorization request (§3.1–3.2), and the user's side of it
//! (§3.3), where a signed-in user types the code the device shows and
//! approves or denies. The polling is `token/device_code.rs`.
//!
//! Wrong user codes are throttled per account and per address
//! (`accounts::throttle`, RFC 8628 §5.1), so the 20⁸ codes cannot be
//! walked; every lookup by a typed code goes through [`throttled`].

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use crate::accounts::throttle::{self, Admitted, Attempt};
use crate::clock::{Clock, UnixTime};
use crate::domain::client::Client;
use crate::domain::device::UserCode;
use crate::domain::oidc::Authentication;
use crate::domain::scope::ScopeSet;
use crate::domain::throttle::Outcome;
use crate::domain::token::{PlainSecret, SecretKind};
use crate::domain::user::UserId;
use crate::oauth::Policy;
use crate::oauth::authorize::ConsentAnswer;
use crate::oauth::client_auth::{self, ClientCredentials};
use crate::oauth::error::{TokenError, UserCodeError};
use crate::oauth::token::resolve_scopes;
use crate::store::{DeviceAnswer, DeviceRequest, NewDeviceAuthorization, Store, StoreError};

/// How many user codes are drawn before giving up: a collision needs one of
/// the 20⁸ codes to be alive already, so a second is all but never needed.
const USER_CODE_DRAWS: usize = 3;

/// A device authorization just made (RFC 8628 §3.2): what the device is told.
#[derive(Debug)]
pub struct Started {
    /// The code the device polls with.
    pub device_code: PlainSecret,
    /// The code the user types.
    pub user_code: UserCode,
    /// Seconds both codes live.
    pub expires_in: i64,
    /// Seconds the device waits between polls.
    pub interval: i64,
    /// The client it was made for (for the audit trail).
    pub client_id: String,
}

/// Answers a device authorization request (RFC 8628 §3.1): the client
/// authenticates as at the token endpoint (a public client names itself by
/// `client_id`, §3.1 "The client authentication requirements of Section
/// 3.2.1 of [RFC6749] apply"), and asks for `scope`, by default the scopes
/// it registered.
pub async fn start(
    store: &dyn Store,
    policy: &Policy,
    credentials: &ClientCredentials,
    scope: Option<&str>,
    now: UnixTime,
) -> Result<Started, TokenError> {
    let client = client_auth::require(client_auth::identify(store, credentials).await?, true)?;
    let scopes = resolve_scopes(scope, &client.scopes)?;
    for _ in 0..USER_CODE_DRAWS {
        let device_code = PlainSecret::generate(SecretKind::DeviceCode);
        let user_code = UserCode::generate();
        let new = NewDeviceAuthorization {
            device_code: device_code.hash(),
            user_code: user_code.hash(),
            client_pk: client.id,
            scopes: scopes.clone(),
            created_at: now,
            expires_at: now + policy.device_code_ttl,
            interval: policy.device_poll_interval,
        };
        match store.insert_device_authorization(&new).await {
            Ok(()) => {
                let (expires_in, interval) = (policy.device_code_ttl, policy.device_poll_interval);
                return Ok(Started { device_code, user_code, expires_in, interval, client_id: client.client_id });
            }
            Err(StoreError::Conflict { constraint: "device_codes_user_code_key" }) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Err(TokenError::Internal(Box::new(NoFreeUserCode)))
}

/// Every user code drawn was taken.
#[derive(Debug, thiserror::Error)]
#[error("no free user code after {USER_CODE_DRAWS} draws")]
struct NoFreeUserCode;

/// Who types a user code, and where: the keys it is throttled under.
#[derive(Clone)]
pub struct Typist {
    /// Storage (shared: the check runs as a task of its own).
    pub store: Arc<dyn Store>,
    /// The clock (read again after waiting for the throttle).
    pub clock: Arc<dyn Clock>,
    /// The signed-in user.
    pub user_id: UserId,
    /// Their address.
    pub address: IpAddr,
}

/// A pending request as its consent page shows it.
#[derive(Debug, Clone)]
pub struct PendingDevice {
    /// The code, as the device shows it, to compare.
    pub user_code: UserCode,
    /// The application that asks.
    pub client: Client,
    /// The scopes it asks for.
    pub scopes: ScopeSet,
}

/// The pending request a typed user code names (RFC 8628 §3.3), for its
/// consent page. A malformed code is refused without a lookup; a lookup
/// that finds nothing counts as a wrong code.
pub async fn find_pending(typist: &Typist, typed: &str) -> Result<PendingDevice, UserCodeError> {
    let user_code = UserCode::parse(typed).ok_or(UserCodeError::Malformed)?;
    let hash = user_code.hash();
    let request =
        throttled(typist, move |store, now| async move { store.find_device_request(&hash, now).await }).await?;
    let client = typist.store.find_client_by_pk(request.client_pk).await?.ok_or(UserCodeError::Unknown)?;
    Ok(PendingDevice { user_code, client, scopes: request.scopes })
}

/// Records the user's answer to the request a typed user code names: an
/// approval remembers the grant (so the application appears among the
/// user's authorized applications, where it can be revoked) and binds the
/// tokens to the user's sign-in `auth`. The code is checked again, under the
/// throttle, since the form carries it back.
pub async fn answer(
    typist: &Typist,
    typed: &str,
    answer: ConsentAnswer,
    auth: &Authentication,
) -> Result<DeviceRequest, UserCodeError> {
    let user_code = UserCode::parse(typed).ok_or(UserCodeError::Malformed)?;
    let hash = user_code.hash();
    let answer = DeviceAnswer {
        user_id: typist.user_id,
        approved: answer == ConsentAnswer::Authorize,
        auth: auth.clone(),
        ip: typist.address,
    };
    throttled(typist, move |store, now| async move { store.decide_device_request(&hash, &answer, now).await }).await
}

/// Runs `check` (`Some`: the code named a pending request) as one attempt
/// under the throttle of the typist's account and address: admitted first
/// (refused while either is locked), settled after. Like a sign-in, it runs
/// as a task of its own, so a browser that hangs up mid-check cannot leave
/// its attempt admitted and never settled.
async fn throttled<T, F, Fut>(typist: &Typist, check: F) -> Result<T, UserCodeError>
where
    T: Send + 'static,
    F: FnOnce(Arc<dyn Store>, UnixTime) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Option<T>, StoreError>> + Send,
{
    let Typist { store, clock, user_id, address } = typist.clone();
    let attempt = tokio::spawn(async move {
        let attempt = Attempt::user_code(user_id, address);
        match throttle::admit(&*store, &attempt, &*clock).await? {
            Admitted::Yes => {}
            Admitted::Locked(retry_after) => return Err(UserCodeError::Throttled { retry_after }),
            Admitted::Busy => return Err(UserCodeError::Store(StoreError::Unavailable(Box::new(Crowded)))),
        }
        let found = check(Arc::clone(&store), clock.now()).await;
        let outcome = match &found {
            Ok(Some(_)) => Outcome::Succeeded,
            Ok(None) => Outcome::Failed,
            Err(_) => Outcome::Refunded,
        };
        throttle::settle(&*store, &attempt, clock.now(), outcome).await?;
        found?.ok_or(UserCodeError::Unknown)
    });
    attempt.await.map_err(|e| UserCodeError::Store(StoreError::Internal(Box::new(e))))?
}

/// More codes of one account checked at once than its budget let through
/// within the wait: answered "busy, try again" (503), not as a lock.
#[derive(Debug, thiserror::Error)]
#[error("too many codes checked for this account at once; try again")]
struct Crowded;
