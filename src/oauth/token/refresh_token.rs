//! `grant_type=refresh_token` (RFC 6749 §6, RFC 9700 §4.14.2). The seed sends
//! it with no client credentials; credentials that are sent are checked.
//! Refresh tokens rotate: each is spent on use, and presenting a spent one
//! revokes its whole family. There is no grace window: a client that lost the
//! response signs the user in again, which is safer than letting a stolen
//! token race the rightful one.
//!
//! `exchange` loads the token, `check_refresh` applies the rules,
//! `successors` mints the next pair, then the token is spent and the pair
//! written in one transaction.

use super::{IssuedTokens, Issuer, Minted, Refusal, TokenContext, resolve_scopes};
use crate::clock::UnixTime;
use crate::domain::client::ClientPk;
use crate::domain::scope::{Scope, ScopeSet};
use crate::domain::token::PlainSecret;
use crate::oauth::client_auth::IdentifiedClient;
use crate::oauth::error::TokenError;
use crate::store::{Redemption, TokenKind, TokenRecord};

/// The answer to a refresh token presented a second time.
const REPLAYED: &str = "the refresh token was already used; its family is revoked";

pub(super) async fn exchange(
    ctx: TokenContext<'_>,
    client: Option<IdentifiedClient>,
    refresh_token: &str,
    scope: Option<&str>,
) -> Result<IssuedTokens, TokenError> {
    let hash = PlainSecret::from_presented(refresh_token).hash();
    let record = ctx
        .store
        .find_token(&hash)
        .await?
        .filter(|r| r.kind == TokenKind::Refresh)
        .ok_or_else(|| TokenError::InvalidGrant("unknown refresh token".to_owned()))?;
    let client_pk = client.as_ref().map(|c| c.client.id);
    let scopes = match check_refresh(&record, client_pk, scope, ctx.now) {
        Ok(scopes) => scopes,
        Err(Refusal::Denied(error)) => return Err(error),
        Err(Refusal::Replayed(error)) => {
            ctx.store.revoke_family(&record.family_id, ctx.now).await?;
            return Err(error);
        }
    };
    let minted = successors(ctx.issuer(), &record, scopes);
    // The ID token is made before the token is rotated: a fault on the way
    // (a read, the keys) then leaves the refresh token for the retry, where
    // after the rotation the retry would look like a replay.
    let mut issued = minted.issued;
    if let (Some(user), true) = (&record.user, issued.scopes.contains(Scope::OpenId)) {
        // The seed refreshes without client credentials: then the
        // application's algorithm comes from its (cached) record.
        let alg = match &client {
            Some(identified) => identified.client.id_token_alg,
            None => ctx.store.find_client(&record.client_id).await?.map(|c| c.id_token_alg).unwrap_or_default(),
        };
        // OIDC Core §12.2: the original auth_time; no nonce, since the
        // refresh request carried none.
        ctx.add_id_token(&mut issued, user, alg, None, record.auth.as_ref()).await?;
    }
    // The store spends the token atomically: of two racing rotations that
    // both passed the check, one gets `Replayed` (and revokes the family).
    match ctx.store.rotate_refresh_token(&hash, &minted.stored, ctx.now).await? {
        Redemption::Issued => Ok(issued),
        Redemption::Replayed => Err(TokenError::InvalidGrant(REPLAYED.to_owned())),
    }
}

/// Whether the refresh token `record` may be rotated at `now` for the client
/// with internal id `client_pk` (`None`: the request named none, as the seed
/// does); returns the scopes of the new access token.
fn check_refresh(
    record: &TokenRecord,
    client_pk: Option<ClientPk>,
    scope: Option<&str>,
    now: UnixTime,
) -> Result<ScopeSet, Refusal> {
    let denied = |m: &str| Refusal::Denied(TokenError::InvalidGrant(m.to_owned()));
    if client_pk.is_some_and(|pk| pk != record.client_pk) {
        return Err(denied("the refresh token was issued to another client"));
    }
    if record.revoked || now >= record.expires_at {
        return Err(denied("the refresh token has expired or was revoked"));
    }
    let scopes = resolve_scopes(scope, &record.scopes).map_err(Refusal::Denied)?;
    // Checked last, as the store's spend would find it: a spent token that is
    // revoked, expired or asked for too much is refused without more ado.
    if record.used {
        return Err(Refusal::Replayed(TokenError::InvalidGrant(REPLAYED.to_owned())));
    }
    Ok(scopes)
}

/// The tokens that replace `record`: an access token with `scopes` and a
/// refresh token that keeps the grant's scope, in the same family.
fn successors(issuer: Issuer<'_>, record: &TokenRecord, scopes: ScopeSet) -> Minted {
    let mut minted =
        issuer.mint((record.client_pk, &record.client_id), record.user_id, scopes, record.family_id.clone(), true);
    // A narrower access token; the refresh token keeps the grant's scope (RFC 6749 §6).
    minted.stored.refresh_scopes = record.scopes.clone();
    // And the sign-in the grant began with.
    minted.stored.auth.clone_from(&record.auth);
    minted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token::FamilyId;
    use crate::domain::user::UserId;
    use crate::oauth::Policy;
    use crate::oauth::fixtures::{NOW, scopes};

    /// A live refresh token of client 1, issued a day before `NOW` for
    /// `user_info projects`, expiring in 29 days.
    fn refresh_token() -> TokenRecord {
        TokenRecord {
            kind: TokenKind::Refresh,
            client_pk: ClientPk(1),
            client_id: "confidential".to_owned(),
            user_id: Some(UserId(7)),
            user: None,
            scopes: scopes("user_info projects"),
            family_id: FamilyId::new("family"),
            created_at: NOW - 86_400,
            expires_at: NOW + 29 * 86_400,
            used: false,
            revoked: false,
            auth: None,
        }
    }

    /// The check's verdict as the wire shows it: the new access token's
    /// scopes, or the error code and description and whether the family is revoked.
    fn verdict(
        record: &TokenRecord,
        client_pk: Option<i64>,
        scope: Option<&str>,
        now: UnixTime,
    ) -> Result<String, (&'static str, String, bool)> {
        check_refresh(record, client_pk.map(ClientPk), scope, now).map(|s| s.to_string()).map_err(|refusal| {
            match refusal {
                Refusal::Replayed(e) => (e.code(), e.to_string(), true),
                Refusal::Denied(e) => (e.code(), e.to_string(), false),
            }
        })
    }

    fn invalid_grant(description: &str) -> Result<String, (&'static str, String, bool)> {
        Err(("invalid_grant", description.to_owned(), false))
    }

    // RFC 6749 §10.4: "the authorization server MUST maintain the binding
    // between a refresh token and the client to whom it was issued"; §6: the
    // server MUST "validate the refresh token". The seed refreshes with no
    // client credentials at all.
    #[test]
    fn rfc6749_6_a_refresh_token_is_bound_to_its_client_and_must_be_live() {
        let mut revoked = refresh_token();
        revoked.revoked = true;
        let expired = refresh_token().expires_at;
        let cases = [
            ("its client", refresh_token(), Some(1), NOW, Ok("user_info projects".to_owned())),
            ("no client named (the seed)", refresh_token(), None, NOW, Ok("user_info projects".to_owned())),
            (
                "another client",
                refresh_token(),
                Some(2),
                NOW,
                invalid_grant("the refresh token was issued to another client"),
            ),
            ("one second before expiry", refresh_token(), None, expired - 1, Ok("user_info projects".to_owned())),
            (
                "at expiry",
                refresh_token(),
                None,
                expired,
                invalid_grant("the refresh token has expired or was revoked"),
            ),
            ("revoked", revoked, None, NOW, invalid_grant("the refresh token has expired or was revoked")),
        ];
        for (name, record, client_pk, now, expected) in cases {
            assert_eq!(verdict(&record, client_pk, None, now), expected, "{name}");
        }
    }

    // RFC 9700 §4.14.2: "the authorization server issues a new refresh token
    // with every access token refresh response. The previous refresh token is
    // invalidated … If a refresh token is compromised and subsequently used
    // by both the attacker and the legitimate client, one of them will present
    // an invalidated refresh token, which will inform the authorization server
    // of the breach" — spent → replay, and the family is revoked.
    #[test]
    fn rfc9700_4_14_2_a_spent_refresh_token_is_a_replay_that_revokes_its_family() {
        let mut spent = refresh_token();
        spent.used = true;
        let mut spent_and_revoked = spent.clone();
        spent_and_revoked.revoked = true;
        let replayed = Err(("invalid_grant", REPLAYED.to_owned(), true));
        let revoked = invalid_grant("the refresh token has expired or was revoked");
        let other_client = invalid_grant("the refresh token was issued to another client");
        let cases = [
            ("unspent", refresh_token(), None, None, Ok("user_info projects".to_owned())),
            ("spent", spent.clone(), None, None, replayed.clone()),
            ("spent, by its client", spent.clone(), Some(1), None, replayed.clone()),
            ("spent, narrowing", spent.clone(), None, Some("user_info"), replayed),
            ("spent, family already revoked", spent_and_revoked, None, None, revoked),
            ("spent, by another client: refused, nothing revoked", spent, Some(2), None, other_client),
        ];
        for (name, record, client_pk, scope, expected) in cases {
            assert_eq!(verdict(&record, client_pk, scope, NOW), expected, "{name}");
        }
    }

    // RFC 6749 §6: "The requested scope MUST NOT include any scope not
    // originally granted by the resource owner, and if omitted is treated as
    // equal to the scope originally granted by the resource owner."
    #[test]
    fn rfc6749_6_a_refresh_may_narrow_the_scope_but_not_include_scope_not_originally_granted() {
        let too_wide = Err(("invalid_scope", "a requested scope exceeds what this grant allows".to_owned(), false));
        let cases = [
            ("omitted: the original grant", None, Ok("user_info projects".to_owned())),
            ("blank: the original grant", Some(" "), Ok("user_info projects".to_owned())),
            ("the same set, other order", Some("projects,user_info"), Ok("user_info projects".to_owned())),
            ("narrower", Some("projects"), Ok("projects".to_owned())),
            ("one scope not originally granted", Some("user_info issues"), too_wide.clone()),
            ("only scope not originally granted", Some("emails"), too_wide),
        ];
        for (name, scope, expected) in cases {
            assert_eq!(verdict(&refresh_token(), Some(1), scope, NOW), expected, "{name}");
        }
        let (code, _, revoked) = verdict(&refresh_token(), None, Some("nonsense"), NOW).unwrap_err();
        assert_eq!((code, revoked), ("invalid_scope", false), "an unknown scope name");
    }

    // RFC 6749 §6: "If a new refresh token is issued, the refresh token scope
    // MUST be identical to that of the refresh token included by the client
    // in the request."
    #[test]
    fn rfc6749_6_the_new_refresh_token_keeps_the_grants_scope_when_the_access_token_narrows() {
        let policy = Policy::default();
        let issuer = Issuer { policy: &policy, now: NOW };
        let cases = [("narrowed", scopes("projects")), ("not narrowed", scopes("user_info projects"))];
        for (name, access_scopes) in cases {
            let minted = successors(issuer, &refresh_token(), access_scopes.clone());
            assert_eq!(minted.stored.scopes, access_scopes, "{name}: access token");
            assert_eq!(minted.issued.scopes, access_scopes, "{name}: response");
            assert_eq!(minted.stored.refresh_scopes, scopes("user_info projects"), "{name}: refresh token");
            assert_eq!(minted.stored.family_id, FamilyId::new("family"), "{name}: same family");
            assert_eq!(minted.stored.refresh_expires_at, NOW + policy.refresh_token_ttl, "{name}: lifetime restarts");
            assert!(minted.issued.refresh_token.is_some(), "{name}: rotated");
        }
    }
}
