//! An account's email addresses (SPEC §7 "Emails"): add one, which mails a
//! verification link; send the link again; verify by the link; make a
//! verified address the primary one (the one the account signs in with);
//! remove one that is not primary. Each change is logged in the security
//! log in the transaction that makes it. The mails themselves are written
//! and sent by the caller (`web/mails.rs`, `mail/`).

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::domain::email::{self, AddressRuleError, EmailAddress, EmailId, EmailLink, LinkError, LinkPurpose};
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::{PlainSecret, SecretHash};
use crate::domain::user::{AccountFieldError, Email, UserId};
use crate::store::{NewEmailLink, Store, StoreError};

/// The longest token a link may carry: a prefix and 43 characters; anything
/// longer is refused before it is hashed or looked up.
const MAX_TOKEN_LEN: usize = 64;

/// Why an address change or a link was refused.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// Not an address a mail can be sent to.
    #[error(transparent)]
    Field(#[from] AccountFieldError),
    /// An account (this one or another) has the address already.
    #[error("this address is in use already")]
    Taken,
    /// A rule about addresses said no.
    #[error(transparent)]
    Rule(#[from] AddressRuleError),
    /// No such address on this account.
    #[error("no such address")]
    NotFound,
    /// The link does not work.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for EmailError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { constraint: "emails_email_key" } => EmailError::Taken,
            other => EmailError::Store(other),
        }
    }
}

/// A link to mail: where to, and its token in the clear (for the mail only;
/// the store has its hash).
#[derive(Debug)]
pub struct LinkToSend {
    /// The address it goes to.
    pub email: String,
    /// The token the link carries.
    pub token: PlainSecret,
}

/// A new link of `purpose` to `email` for `user_id`: the token to mail and
/// the record to store.
pub fn new_link(purpose: LinkPurpose, user_id: UserId, email: &str, now: UnixTime) -> (LinkToSend, NewEmailLink) {
    let token = PlainSecret::generate(purpose.secret_kind());
    let record = NewEmailLink {
        token_hash: token.hash(),
        purpose,
        user_id,
        email: email.to_owned(),
        created_at: now,
        expires_at: now + purpose.lifetime(),
    };
    (LinkToSend { email: email.to_owned(), token }, record)
}

/// Parses an address typed into a form: the account rules, and one a mail
/// can be sent to.
pub fn parse_address(raw: &str) -> Result<Email, AccountFieldError> {
    let email = Email::parse(raw)?;
    if crate::mail::is_deliverable(email.as_str()) { Ok(email) } else { Err(AccountFieldError::Email) }
}

/// Adds the address `raw` to the account, unverified, with a verification
/// link to mail.
pub async fn add(
    store: &dyn Store,
    user_id: UserId,
    raw: &str,
    now: UnixTime,
    ip: IpAddr,
) -> Result<(EmailAddress, LinkToSend), EmailError> {
    let email = parse_address(raw)?;
    let addresses = store.list_emails(user_id).await?;
    if addresses.iter().any(|a| a.email == email.as_str()) {
        return Err(EmailError::Taken);
    }
    email::check_add(&addresses)?;
    let (link, record) = new_link(LinkPurpose::Verify, user_id, email.as_str(), now);
    let event = SecurityEvent::new(user_id, SecurityEventKind::EmailAdded, Some(ip)).about(email.as_str());
    let added = store.add_email(&record, &event).await?;
    Ok((added, link))
}

/// The first verification link of a new account's address, or `None` when
/// enough live ones exist already.
pub async fn first_link(
    store: &dyn Store,
    user_id: UserId,
    email: &str,
    now: UnixTime,
) -> Result<Option<LinkToSend>, StoreError> {
    let (link, record) = new_link(LinkPurpose::Verify, user_id, email, now);
    Ok(store.insert_email_link(&record, None).await?.then_some(link))
}

/// A new verification link for the unverified address `id`; `None` when
/// enough live links were sent to the account already (the mail is not
/// sent again: nobody can flood an inbox through the button).
pub async fn resend(
    store: &dyn Store,
    user_id: UserId,
    id: EmailId,
    now: UnixTime,
) -> Result<Option<LinkToSend>, EmailError> {
    let address = find(store, user_id, id).await?;
    email::check_resend(&address)?;
    Ok(first_link(store, user_id, &address.email, now).await?)
}

/// The link `token` of `purpose`, if it works at `now` (for the page that
/// shows it, before anything is spent).
pub async fn check_link(
    store: &dyn Store,
    token: &str,
    purpose: LinkPurpose,
    now: UnixTime,
) -> Result<(SecretHash, EmailLink), EmailError> {
    let hash = token_hash(token, purpose)?;
    let link = store.find_email_link(&hash).await?;
    let link = email::check_link(link.as_ref(), purpose, now)?.clone();
    Ok((hash, link))
}

/// Verifies the address the link `token` was sent to; the address.
pub async fn verify(store: &dyn Store, token: &str, now: UnixTime, ip: IpAddr) -> Result<String, EmailError> {
    let (hash, link) = check_link(store, token, LinkPurpose::Verify, now).await?;
    let event = SecurityEvent::new(link.user_id, SecurityEventKind::EmailVerified, Some(ip)).about(&link.email);
    if store.verify_email(&hash, now, &event).await? {
        Ok(link.email)
    } else {
        // Spent meanwhile by another click, or the address was removed.
        Err(EmailError::Link(LinkError::Used))
    }
}

/// Makes the verified address `id` the account's primary one.
pub async fn make_primary(
    store: &dyn Store,
    user_id: UserId,
    id: EmailId,
    now: UnixTime,
    ip: IpAddr,
) -> Result<String, EmailError> {
    let address = find(store, user_id, id).await?;
    email::check_make_primary(&address)?;
    if address.primary {
        return Ok(address.email);
    }
    let event = SecurityEvent::new(user_id, SecurityEventKind::PrimaryEmailChanged, Some(ip)).about(&address.email);
    if store.set_primary_email(user_id, &address.email, now, &event).await? {
        Ok(address.email)
    } else {
        // Removed meanwhile.
        Err(EmailError::NotFound)
    }
}

/// Removes the address `id` (not the primary one).
pub async fn remove(
    store: &dyn Store,
    user_id: UserId,
    id: EmailId,
    now: UnixTime,
    ip: IpAddr,
) -> Result<String, EmailError> {
    let address = find(store, user_id, id).await?;
    email::check_removal(&address)?;
    let event = SecurityEvent::new(user_id, SecurityEventKind::EmailRemoved, Some(ip)).about(&address.email);
    if store.remove_email(user_id, &address.email, now, &event).await? {
        Ok(address.email)
    } else {
        // Removed meanwhile, or made primary by another request.
        Err(EmailError::NotFound)
    }
}

/// The account's address `id`; another account's is not found.
async fn find(store: &dyn Store, user_id: UserId, id: EmailId) -> Result<EmailAddress, EmailError> {
    let addresses = store.list_emails(user_id).await?;
    addresses.into_iter().find(|a| a.id == id).ok_or(EmailError::NotFound)
}

/// The hash a presented token is looked up by; a token that cannot be one
/// of `purpose` (wrong prefix, too long) is refused without a lookup.
fn token_hash(token: &str, purpose: LinkPurpose) -> Result<SecretHash, LinkError> {
    if token.len() > MAX_TOKEN_LEN || !token.starts_with(purpose.secret_kind().prefix()) {
        return Err(LinkError::Unknown);
    }
    Ok(PlainSecret::from_presented(token).hash())
}
