//! Passkeys (SPEC §7 "Passkeys"): adding one to a signed-in account and
//! signing in with a discoverable one, through webauthn-rs (the library
//! behind Kanidm), the only module that imports it. Each ceremony is two
//! requests: `begin_*` makes the options for `navigator.credentials` and
//! parks webauthn-rs's state (holding the challenge) in the database under
//! the hash of a fresh `gpc_` id, which the browser keeps in a cookie;
//! `finish_*` takes that state (single use, 5 minutes) and verifies the
//! browser's answer against it. The relying party is the issuer: its host
//! is the RP id, the issuer itself the only allowed origin.
//!
//! A passkey sign-in is two factors at once: possession of the key and the
//! user verification (PIN or biometric) webauthn-rs requires. No TOTP code
//! is asked afterwards; `amr` records `hwk` (or `swk` for a synced,
//! backup-eligible passkey), `user` and `mfa` (RFC 8176).

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url,
    Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use crate::clock::UnixTime;
use crate::domain::oidc::{AuthMethod, Authentication};
use crate::domain::passkey::{CEREMONY_TTL, CeremonyKind, PasskeyId, PasskeyName};
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::{PlainSecret, SecretKind};
use crate::domain::user::{User, UserId};
use crate::store::{NewPasskey, PasskeyCeremony, Store, StoreError};

/// Why a passkey ceremony or change did not go through.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The issuer cannot be a WebAuthn relying party (an IP address, say).
    #[error("passkeys need an issuer with a host name: {0}")]
    NoRelyingParty(String),
    /// No live ceremony: never begun, lapsed, or already answered.
    #[error("no passkey ceremony in progress")]
    NoCeremony,
    /// The browser's answer did not verify (forged, garbled, wrong origin,
    /// a cloned authenticator's counter).
    #[error("the passkey did not verify")]
    Rejected,
    /// No passkey with this credential (never added, or removed).
    #[error("unknown passkey")]
    UnknownCredential,
    /// This credential is registered already.
    #[error("this passkey is already registered")]
    AlreadyRegistered,
    /// The name is empty, too long or holds control characters.
    #[error("invalid passkey name")]
    BadName,
    /// The user has no such passkey.
    #[error("no such passkey")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored state or passkey did not read back, or webauthn-rs refused
    /// to begin: ours, not the user's.
    #[error("passkey state: {0}")]
    Internal(String),
}

/// What a registration ceremony keeps: webauthn-rs's state and the user
/// handle its credential will carry.
#[derive(Serialize, Deserialize)]
struct Registration {
    user_handle: Uuid,
    state: PasskeyRegistration,
}

/// A passkey sign-in that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeySignIn {
    /// Who signed in.
    pub user_id: UserId,
    /// With which passkey (its name, for the security log).
    pub name: String,
    /// `auth_time` and `amr`.
    pub auth: Authentication,
}

/// The relying party the issuer stands for: RP id its host, origin itself.
pub fn relying_party(issuer: &str) -> Result<Webauthn, PasskeyError> {
    let origin = Url::parse(issuer).map_err(|error| PasskeyError::NoRelyingParty(error.to_string()))?;
    let host = match origin.host() {
        Some(url::Host::Domain(host)) => host.to_owned(),
        _ => return Err(PasskeyError::NoRelyingParty(issuer.to_owned())),
    };
    let builder =
        WebauthnBuilder::new(&host, &origin).map_err(|error| PasskeyError::NoRelyingParty(error.to_string()))?;
    builder.rp_name("Gatehouse").build().map_err(|error| PasskeyError::NoRelyingParty(error.to_string()))
}

fn internal(error: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Internal(error.to_string())
}

/// Parks a ceremony; its id for the browser's cookie.
async fn park(
    store: &dyn Store,
    kind: CeremonyKind,
    user_id: Option<UserId>,
    state: String,
    now: UnixTime,
) -> Result<PlainSecret, PasskeyError> {
    let id = PlainSecret::generate(SecretKind::PasskeyCeremony);
    let ceremony = PasskeyCeremony { kind, user_id, state, expires_at: now + CEREMONY_TTL };
    store.insert_passkey_ceremony(&id.hash(), &ceremony).await?;
    Ok(id)
}

/// Begins adding a passkey to `user`'s account: the ceremony's id and the
/// options for `navigator.credentials.create`. The user's passkeys are
/// excluded (the authenticator says it has one already), and the credential
/// must be discoverable (resident): it signs in without an email typed.
pub async fn begin_registration(
    store: &dyn Store,
    issuer: &str,
    user: &User,
    now: UnixTime,
) -> Result<(PlainSecret, serde_json::Value), PasskeyError> {
    let webauthn = relying_party(issuer)?;
    let existing = store.list_passkeys(user.id).await?;
    // One handle per account, so an authenticator keeps one credential for it.
    let user_handle = match existing.first().and_then(|p| Uuid::from_slice(&p.user_handle).ok()) {
        Some(handle) => handle,
        None => uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
    };
    let exclude = existing.iter().map(|p| p.credential_id.clone()).collect();
    let (options, state) =
        webauthn.start_passkey_registration(user_handle, &user.email, &user.login, Some(exclude)).map_err(internal)?;
    let mut options = serde_json::to_value(options).map_err(internal)?;
    if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection") {
        selection["residentKey"] = "required".into();
        selection["requireResidentKey"] = true.into();
    }
    let state = serde_json::to_string(&Registration { user_handle, state }).map_err(internal)?;
    let id = park(store, CeremonyKind::Register, Some(user.id), state, now).await?;
    Ok((id, options))
}

/// Finishes adding a passkey named `name` with the browser's answer
/// (`credential`, the JSON of a `PublicKeyCredential`) to the ceremony
/// `ceremony_id` began for this same user; records `PasskeyAdded`.
pub async fn finish_registration(
    store: &dyn Store,
    issuer: &str,
    user: &User,
    (ceremony_id, name, credential): (&str, &str, &str),
    (now, ip): (UnixTime, std::net::IpAddr),
) -> Result<PasskeyId, PasskeyError> {
    let name = PasskeyName::parse(name).ok_or(PasskeyError::BadName)?;
    let webauthn = relying_party(issuer)?;
    let id_hash = PlainSecret::from_presented(ceremony_id).hash();
    let ceremony = store.take_passkey_ceremony(&id_hash, CeremonyKind::Register, now).await?;
    let ceremony = ceremony.filter(|c| c.user_id == Some(user.id)).ok_or(PasskeyError::NoCeremony)?;
    let registration: Registration = serde_json::from_str(&ceremony.state).map_err(internal)?;
    let credential: RegisterPublicKeyCredential =
        serde_json::from_str(credential).map_err(|_| PasskeyError::Rejected)?;
    let passkey =
        webauthn.finish_passkey_registration(&credential, &registration.state).map_err(|error| match error {
            // webauthn-rs's answer for a credential on the exclusion list (the
            // user's own passkeys): an authenticator that ignored the list.
            WebauthnError::CredentialAlteredAlgFromRequest => PasskeyError::AlreadyRegistered,
            _ => PasskeyError::Rejected,
        })?;
    let new = NewPasskey {
        user_id: user.id,
        credential_id: passkey.cred_id().to_vec(),
        user_handle: registration.user_handle.as_bytes().to_vec(),
        name: name.as_str().to_owned(),
        passkey: serde_json::to_string(&passkey).map_err(internal)?,
        created_at: now,
    };
    let event = SecurityEvent::new(user.id, SecurityEventKind::PasskeyAdded, Some(ip)).about(name.as_str());
    match store.insert_passkey(&new, &event).await {
        Err(StoreError::Conflict { .. }) => Err(PasskeyError::AlreadyRegistered),
        other => Ok(other?),
    }
}

/// Renames the user's passkey; records `PasskeyRenamed` with the new name.
pub async fn rename(
    store: &dyn Store,
    user_id: UserId,
    id: PasskeyId,
    name: &str,
    (now, ip): (UnixTime, std::net::IpAddr),
) -> Result<(), PasskeyError> {
    let name = PasskeyName::parse(name).ok_or(PasskeyError::BadName)?;
    let event = SecurityEvent::new(user_id, SecurityEventKind::PasskeyRenamed, Some(ip)).about(name.as_str());
    if store.rename_passkey(id, user_id, name.as_str(), &event, now).await? {
        Ok(())
    } else {
        Err(PasskeyError::NotFound)
    }
}

/// Removes the user's passkey; records `PasskeyRemoved` with its name.
pub async fn remove(
    store: &dyn Store,
    user_id: UserId,
    id: PasskeyId,
    (now, ip): (UnixTime, std::net::IpAddr),
) -> Result<String, PasskeyError> {
    let event = SecurityEvent::new(user_id, SecurityEventKind::PasskeyRemoved, Some(ip));
    store.remove_passkey(id, user_id, &event, now).await?.ok_or(PasskeyError::NotFound)
}

/// Begins a sign-in with a discoverable passkey: the ceremony's id and the
/// options for `navigator.credentials.get` (no credentials listed: the
/// authenticator offers the ones it holds for this relying party).
pub async fn begin_sign_in(
    store: &dyn Store,
    issuer: &str,
    now: UnixTime,
) -> Result<(PlainSecret, serde_json::Value), PasskeyError> {
    let webauthn = relying_party(issuer)?;
    let (options, state) = webauthn.start_discoverable_authentication().map_err(internal)?;
    // A button asks at once (a modal prompt), not conditional mediation.
    let options = serde_json::json!({ "publicKey": options.public_key });
    let state = serde_json::to_string(&state).map_err(internal)?;
    let id = park(store, CeremonyKind::SignIn, None, state, now).await?;
    Ok((id, options))
}

/// Finishes a sign-in: the credential must be a stored passkey whose user
/// handle it returns, and its signature must verify against the ceremony's
/// challenge; the passkey's counter and last use are written.
pub async fn finish_sign_in(
    store: &dyn Store,
    issuer: &str,
    ceremony_id: &str,
    credential: &str,
    now: UnixTime,
) -> Result<PasskeySignIn, PasskeyError> {
    let webauthn = relying_party(issuer)?;
    let id_hash = PlainSecret::from_presented(ceremony_id).hash();
    let ceremony = store.take_passkey_ceremony(&id_hash, CeremonyKind::SignIn, now).await?;
    let ceremony = ceremony.ok_or(PasskeyError::NoCeremony)?;
    let state: DiscoverableAuthentication = serde_json::from_str(&ceremony.state).map_err(internal)?;
    let credential: PublicKeyCredential = serde_json::from_str(credential).map_err(|_| PasskeyError::Rejected)?;
    let (user_handle, credential_id) =
        webauthn.identify_discoverable_authentication(&credential).map_err(|_| PasskeyError::Rejected)?;
    let record = store.find_passkey_by_credential(credential_id).await?.ok_or(PasskeyError::UnknownCredential)?;
    if record.user_handle != user_handle.as_bytes() {
        return Err(PasskeyError::Rejected);
    }
    let mut passkey: Passkey = serde_json::from_str(&record.passkey).map_err(internal)?;
    let result = webauthn
        .finish_discoverable_authentication_v2(&credential, state, &passkey)
        .map_err(|_| PasskeyError::Rejected)?;
    passkey.update_credential(&result);
    let stored = serde_json::to_string(&passkey).map_err(internal)?;
    if !store.record_passkey_use(record.id, &stored, now).await? {
        return Err(PasskeyError::UnknownCredential);
    }
    let key = if result.backup_eligible() { AuthMethod::Swk } else { AuthMethod::Hwk };
    let auth = Authentication { time: now, methods: vec![key, AuthMethod::User, AuthMethod::Mfa] };
    Ok(PasskeySignIn { user_id: record.user_id, name: record.name, auth })
}
