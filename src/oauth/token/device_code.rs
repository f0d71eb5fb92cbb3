//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628
//! §3.4–3.5): a device polls with its device code until the user answers.
//! `exchange` reads the code once, `check_poll` applies the rules, then a
//! pending poll writes only if its pace changes, and an approved one spends
//! the code and writes the tokens in one transaction.

use super::{IssuedTokens, TokenContext};
use crate::clock::UnixTime;
use crate::domain::client::{Client, ClientPk};
use crate::domain::device::{Pace, PaceVerdict};
use crate::domain::oidc::Authentication;
use crate::domain::scope::Scope;
use crate::domain::token::{FamilyId, PlainSecret, SecretHash};
use crate::domain::user::UserId;
use crate::oauth::error::TokenError;
use crate::store::{DeviceRecord, DeviceState};

/// The answer to a device code presented after its tokens were handed out.
const SPENT: &str = "the device code was already used";

/// What a poll that the rules let through comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Poll {
    /// The user has not answered: the pace rule's verdict.
    Pending(PaceVerdict),
    /// The user approved: hand out the tokens.
    Approved {
        /// Who approved.
        user_id: UserId,
        /// Their sign-in, for the ID token.
        auth: Authentication,
    },
}

/// Answers one poll. A device code is spent once: the tokens go to the one
/// poll that spends it. Presenting it again is `invalid_grant`, and revokes
/// nothing: unlike an authorization code it never crosses the browser, so a
/// second presentation is the device retrying, not a thief.
pub(super) async fn exchange(
    ctx: TokenContext<'_>,
    client: &Client,
    device_code: &str,
) -> Result<IssuedTokens, TokenError> {
    let hash = PlainSecret::from_presented(device_code).hash();
    let record = ctx
        .store
        .find_device_authorization(&hash)
        .await?
        .ok_or_else(|| TokenError::InvalidGrant("unknown device code".to_owned()))?;
    match check_poll(&record, client.id, ctx.now)? {
        Poll::Pending(verdict) => Err(keep_pace(ctx, &hash, record.pace, verdict).await?),
        Poll::Approved { user_id, auth } => issue(ctx, client, &hash, &record, user_id, auth).await,
    }
}

/// Whether a poll by `client_pk` at `now` may see the state of `record`,
/// and what that state is. The order decides which error a poll with
/// several faults sees: another client's code tells nothing about itself.
fn check_poll(record: &DeviceRecord, client_pk: ClientPk, now: UnixTime) -> Result<Poll, TokenError> {
    if record.client_pk != client_pk {
        return Err(TokenError::InvalidGrant("the device code was issued to another client".to_owned()));
    }
    if record.used {
        return Err(TokenError::InvalidGrant(SPENT.to_owned()));
    }
    if now >= record.expires_at {
        return Err(TokenError::ExpiredToken);
    }
    match &record.state {
        DeviceState::Denied => Err(TokenError::AccessDenied),
        DeviceState::Approved { user_id, auth } => Ok(Poll::Approved { user_id: *user_id, auth: auth.clone() }),
        DeviceState::Pending => Ok(Poll::Pending(record.pace.on_poll(now))),
    }
}

/// The answer to a poll of a pending code, writing the new pace only when
/// it changes. A poll in time whose write finds the pace changed by a
/// concurrent poll came too soon after that one.
async fn keep_pace(
    ctx: TokenContext<'_>,
    hash: &SecretHash,
    seen: Pace,
    verdict: PaceVerdict,
) -> Result<TokenError, TokenError> {
    Ok(match verdict {
        PaceVerdict::InTime(next) if ctx.store.update_device_pace(hash, seen, next).await? => {
            TokenError::AuthorizationPending
        }
        PaceVerdict::InTime(_) | PaceVerdict::TooSoon(None) => TokenError::SlowDown { interval: seen.interval },
        PaceVerdict::TooSoon(Some(next)) => {
            ctx.store.update_device_pace(hash, seen, next).await?;
            TokenError::SlowDown { interval: next.interval }
        }
    })
}

/// Spends the approved code and hands out the tokens, with an ID token when
/// `openid` was granted (OIDC Core §3.1.3.3, as for a code): it names the
/// sign-in of the session that approved.
async fn issue(
    ctx: TokenContext<'_>,
    client: &Client,
    hash: &SecretHash,
    record: &DeviceRecord,
    user_id: UserId,
    auth: Authentication,
) -> Result<IssuedTokens, TokenError> {
    let scopes = record.scopes.clone();
    let mut minted =
        ctx.issuer().mint((client.id, &client.client_id), Some(user_id), scopes, FamilyId::generate(), true);
    minted.stored.auth = Some(auth.clone());
    // The ID token is made before the code is spent: a fault on the way
    // (a read, the keys) then leaves the code for the device's next poll.
    let mut issued = minted.issued;
    if issued.scopes.contains(Scope::OpenId) {
        let user = ctx
            .store
            .find_user(user_id)
            .await?
            .ok_or_else(|| TokenError::InvalidGrant("the user who approved no longer exists".to_owned()))?;
        ctx.add_id_token(&mut issued, &user, client.id_token_alg, None, Some(&auth)).await?;
    }
    if !ctx.store.redeem_device_code(hash, &minted.stored, ctx.now).await? {
        return Err(TokenError::InvalidGrant(SPENT.to_owned()));
    }
    Ok(issued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::Policy;
    use crate::oauth::fixtures::{NOW, scopes};

    /// A code issued to client 1 at `NOW`, never polled, with `state`.
    fn record(state: DeviceState) -> DeviceRecord {
        DeviceRecord {
            client_pk: ClientPk(1),
            scopes: scopes("user_info"),
            expires_at: NOW + Policy::default().device_code_ttl,
            pace: Pace::new(Policy::default().device_poll_interval),
            state,
            used: false,
        }
    }

    fn approved() -> DeviceState {
        DeviceState::Approved { user_id: UserId(7), auth: Authentication::password(NOW) }
    }

    /// The verdict as the wire shows it: the error code, or what happens.
    fn verdict(record: &DeviceRecord, client_pk: i64, now: UnixTime) -> Result<&'static str, &'static str> {
        match check_poll(record, ClientPk(client_pk), now) {
            Ok(Poll::Approved { .. }) => Ok("tokens"),
            Ok(Poll::Pending(PaceVerdict::InTime(_))) => Err("authorization_pending"),
            Ok(Poll::Pending(PaceVerdict::TooSoon(_))) => Err("slow_down"),
            Err(error) => Err(error.code()),
        }
    }

    // RFC 8628 §3.5: "authorization_pending … The client SHOULD repeat the
    // access token request"; "access_denied: The authorization request was
    // denied"; "expired_token: The "device_code" has expired"; §3.2
    // `expires_in`: "The lifetime in seconds of the "device_code" and "user_code"".
    #[test]
    fn rfc8628_3_5_a_poll_learns_where_the_request_stands() {
        let ttl = Policy::default().device_code_ttl;
        assert_eq!(ttl, 900);
        let cases = [
            ("pending", record(DeviceState::Pending), NOW, Err("authorization_pending")),
            ("approved", record(approved()), NOW, Ok("tokens")),
            ("denied", record(DeviceState::Denied), NOW, Err("access_denied")),
            (
                "pending, a second before expiry",
                record(DeviceState::Pending),
                NOW + ttl - 1,
                Err("authorization_pending"),
            ),
            ("pending, at expiry", record(DeviceState::Pending), NOW + ttl, Err("expired_token")),
            ("approved, but expired", record(approved()), NOW + ttl, Err("expired_token")),
            ("denied and expired", record(DeviceState::Denied), NOW + ttl + 60, Err("expired_token")),
        ];
        for (name, record, now, expected) in cases {
            assert_eq!(verdict(&record, 1, now), expected, "{name}");
        }
    }

    // RFC 6749 §5.2 invalid_grant: "… or was issued to another client";
    // SPEC §6: "A device code is spent once."
    #[test]
    fn a_device_code_works_once_and_only_for_its_client() {
        let mut spent = record(approved());
        spent.used = true;
        let cases = [
            ("its client", record(approved()), 1, Ok("tokens")),
            ("another client, approved", record(approved()), 2, Err("invalid_grant")),
            ("another client, pending", record(DeviceState::Pending), 2, Err("invalid_grant")),
            ("spent", spent.clone(), 1, Err("invalid_grant")),
            ("spent, by another client", spent, 2, Err("invalid_grant")),
        ];
        for (name, record, client_pk, expected) in cases {
            assert_eq!(verdict(&record, client_pk, NOW), expected, "{name}");
        }
    }

    // RFC 8628 §3.5 slow_down is "A variant of authorization_pending": only
    // a pending request is paced; an answer is given however soon it is asked.
    #[test]
    fn rfc8628_3_5_only_a_pending_request_is_paced() {
        let polled = Pace { polled_at: NOW, ..Pace::new(5) };
        let mut pending = record(DeviceState::Pending);
        pending.pace = polled;
        let mut approved_soon = record(approved());
        approved_soon.pace = polled;
        let mut denied_soon = record(DeviceState::Denied);
        denied_soon.pace = polled;

        assert_eq!(verdict(&pending, 1, NOW + 1), Err("slow_down"));
        assert_eq!(verdict(&pending, 1, NOW + 5), Err("authorization_pending"));
        assert_eq!(verdict(&approved_soon, 1, NOW + 1), Ok("tokens"));
        assert_eq!(verdict(&denied_soon, 1, NOW + 1), Err("access_denied"));
    }
}
