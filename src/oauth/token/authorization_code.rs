//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §4.8.2).
//! `exchange` loads the code, `check_code` applies the rules, then the code
//! is spent and the tokens written in one transaction.

use super::{IssuedTokens, Refusal, TokenContext};
use crate::clock::UnixTime;
use crate::domain::client::{Client, ClientPk};
use crate::domain::scope::Scope;
use crate::domain::token::PlainSecret;
use crate::oauth::error::TokenError;
use crate::store::{CodeRecord, Redemption};

/// The answer to a code presented a second time.
const REPLAYED: &str = "the authorization code was already used; its tokens are revoked";

/// What the token request presents with a code.
#[derive(Debug, Clone, Copy)]
struct CodePresentation<'a> {
    /// The internal id of the client that redeems it.
    client_pk: ClientPk,
    /// `redirect_uri`
    redirect_uri: Option<&'a str>,
    /// `code_verifier`
    code_verifier: Option<&'a str>,
}

/// Redeems a code once. A second redemption fails and revokes every token the
/// first one issued (RFC 6749 §4.1.2: "the authorization server MUST deny the
/// request and SHOULD revoke … all tokens previously issued based on that
/// authorization code").
pub(super) async fn exchange(
    ctx: TokenContext<'_>,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<IssuedTokens, TokenError> {
    let hash = PlainSecret::from_presented(code).hash();
    let record = ctx
        .store
        .find_authorization_code(&hash)
        .await?
        .ok_or_else(|| TokenError::InvalidGrant("unknown authorization code".to_owned()))?;
    let presented = CodePresentation { client_pk: client.id, redirect_uri, code_verifier };
    match check_code(&record, presented, ctx.now) {
        Ok(()) => {}
        Err(Refusal::Denied(error)) => return Err(error),
        Err(Refusal::Replayed(error)) => {
            ctx.store.revoke_family(&record.family_id, ctx.now).await?;
            return Err(error);
        }
    }
    let request = &record.request;
    let mut minted = ctx.issuer().mint(
        (client.id, &client.client_id),
        Some(request.user_id),
        request.scopes.clone(),
        record.family_id.clone(),
        true,
    );
    // The refresh tokens remember the sign-in, for the ID tokens of refreshes.
    minted.stored.auth.clone_from(&request.auth);
    // The ID token is made before the code is spent: a fault on the way
    // (a read, the keys) then leaves the code for the client's retry.
    let mut issued = minted.issued;
    if issued.scopes.contains(Scope::OpenId) {
        let user = ctx
            .store
            .find_user(request.user_id)
            .await?
            .ok_or_else(|| TokenError::InvalidGrant("the user of this code no longer exists".to_owned()))?;
        let (nonce, auth) = (request.nonce.as_deref(), request.auth.as_ref());
        ctx.add_id_token(&mut issued, &user, client.id_token_alg, nonce, auth).await?;
    }
    // The store spends the code atomically: of two racing redemptions that
    // both passed the check, one gets `Replayed` (and revokes the family).
    match ctx.store.redeem_authorization_code(&hash, &minted.stored, ctx.now).await? {
        Redemption::Issued => Ok(issued),
        Redemption::Replayed => Err(TokenError::InvalidGrant(REPLAYED.to_owned())),
    }
}

/// Whether `presented` may redeem the code `record` at `now`: unused,
/// issued to this client, unexpired, for this callback, with the PKCE
/// verifier its challenge asks for. The order decides which error a request
/// with several faults sees; a replay is detected first, whoever sends it.
fn check_code(record: &CodeRecord, presented: CodePresentation<'_>, now: UnixTime) -> Result<(), Refusal> {
    let denied = |m: &str| Refusal::Denied(TokenError::InvalidGrant(m.to_owned()));
    let request = &record.request;
    if record.used {
        return Err(Refusal::Replayed(TokenError::InvalidGrant(REPLAYED.to_owned())));
    }
    if request.client_pk != presented.client_pk {
        return Err(denied("the authorization code was issued to another client"));
    }
    if now >= record.expires_at {
        return Err(denied("the authorization code has expired"));
    }
    match presented.redirect_uri {
        Some(given) if given != request.redirect_uri => return Err(denied("redirect_uri does not match")),
        None if request.redirect_uri_given => return Err(denied("redirect_uri is required")),
        _ => {}
    }
    match (&request.challenge, presented.code_verifier) {
        (Some(challenge), Some(verifier)) if challenge.verify(verifier) => Ok(()),
        (Some(_), Some(_)) => Err(denied("code_verifier does not match the code_challenge")),
        (Some(_), None) => Err(denied("code_verifier is required")),
        (None, Some(_)) => Err(denied("the code was issued without a code_challenge")),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pkce::{ChallengeMethod, CodeChallenge};
    use crate::domain::token::FamilyId;
    use crate::domain::user::UserId;
    use crate::oauth::Policy;
    use crate::oauth::fixtures::{CALLBACK, NOW, scopes};
    use crate::store::BoundRequest;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    /// A code issued at `NOW` to client 1 for `CALLBACK` (named in the
    /// request), without PKCE, living as long as the default policy says.
    fn code() -> CodeRecord {
        CodeRecord {
            request: BoundRequest {
                client_pk: ClientPk(1),
                user_id: UserId(7),
                redirect_uri: CALLBACK.to_owned(),
                redirect_uri_given: true,
                scopes: scopes("user_info"),
                state: None,
                challenge: None,
                nonce: None,
                auth: None,
                response_mode: crate::domain::response_mode::ResponseMode::Query,
            },
            family_id: FamilyId::new("family"),
            expires_at: NOW + Policy::default().code_ttl,
            used: false,
        }
    }

    fn with_challenge(method: ChallengeMethod, challenge: &str) -> CodeRecord {
        let mut record = code();
        record.request.challenge = Some(CodeChallenge::parse(challenge, Some(method.as_str())).unwrap());
        record
    }

    /// Client 1 presenting `CALLBACK` and no verifier.
    fn presented() -> CodePresentation<'static> {
        CodePresentation { client_pk: ClientPk(1), redirect_uri: Some(CALLBACK), code_verifier: None }
    }

    /// The check's verdict as the wire shows it: the `error_description`, and
    /// whether the family is revoked.
    fn verdict(record: &CodeRecord, presented: CodePresentation<'_>, now: UnixTime) -> Result<(), (String, bool)> {
        check_code(record, presented, now).map_err(|refusal| match refusal {
            Refusal::Replayed(e) => (e.to_string(), true),
            Refusal::Denied(e) => {
                assert_eq!(e.code(), "invalid_grant");
                (e.to_string(), false)
            }
        })
    }

    fn denied(description: &str) -> Result<(), (String, bool)> {
        Err((description.to_owned(), false))
    }

    // RFC 6749 §4.1.2: "The authorization code MUST expire shortly after it
    // is issued … A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
    #[test]
    fn rfc6749_4_1_2_a_code_expires_ten_minutes_after_issue() {
        assert_eq!(Policy::default().code_ttl, 600);
        let cases = [
            ("at issue", NOW, Ok(())),
            ("one second before ten minutes", NOW + 599, Ok(())),
            ("at ten minutes", NOW + 600, denied("the authorization code has expired")),
            ("a day later", NOW + 86_400, denied("the authorization code has expired")),
        ];
        for (name, now, expected) in cases {
            assert_eq!(verdict(&code(), presented(), now), expected, "{name}");
        }
    }

    // RFC 6749 §4.1.2: "The client MUST NOT use the authorization code more
    // than once. If an authorization code is used more than once, the
    // authorization server MUST deny the request and SHOULD revoke (when
    // possible) all tokens previously issued based on that authorization code."
    #[test]
    fn rfc6749_4_1_2_a_used_code_is_denied_and_revokes_its_tokens_whoever_presents_it() {
        let mut used = code();
        used.used = true;
        let other_client = CodePresentation { client_pk: ClientPk(2), ..presented() };
        let cases = [
            ("unused", code(), presented(), NOW, Ok(())),
            ("used, by its client", used.clone(), presented(), NOW, Err((REPLAYED.to_owned(), true))),
            ("used, by another client", used.clone(), other_client, NOW, Err((REPLAYED.to_owned(), true))),
            ("used, after expiry", used, presented(), NOW + 3_600, Err((REPLAYED.to_owned(), true))),
        ];
        for (name, record, presented, now, expected) in cases {
            assert_eq!(verdict(&record, presented, now), expected, "{name}");
        }
    }

    // RFC 6749 §4.1.3: the server MUST "ensure that the authorization code was
    // issued to the authenticated confidential client, or if the client is
    // public, ensure that the code was issued to "client_id" in the request".
    #[test]
    fn rfc6749_4_1_3_a_code_is_bound_to_the_client_it_was_issued_to() {
        let cases = [
            ("the client it was issued to", presented(), Ok(())),
            (
                "another client",
                CodePresentation { client_pk: ClientPk(2), ..presented() },
                denied("the authorization code was issued to another client"),
            ),
        ];
        for (name, presented, expected) in cases {
            assert_eq!(verdict(&code(), presented, NOW), expected, "{name}");
        }
    }

    // RFC 6749 §4.1.3: the server MUST "ensure that the "redirect_uri"
    // parameter is present if the "redirect_uri" parameter was included in the
    // initial authorization request …, and if included ensure that their
    // values are identical."
    #[test]
    fn rfc6749_4_1_3_redirect_uri_must_be_identical_if_it_was_included_in_the_authorization_request() {
        let mut not_named = code();
        not_named.request.redirect_uri_given = false;
        let with = |redirect_uri| CodePresentation { redirect_uri, ..presented() };
        let cases = [
            ("named, repeated identically", code(), with(Some(CALLBACK)), Ok(())),
            ("named, omitted", code(), with(None), denied("redirect_uri is required")),
            (
                "named, trailing slash",
                code(),
                with(Some("https://app.example.com/cb/")),
                denied("redirect_uri does not match"),
            ),
            (
                "named, other case",
                code(),
                with(Some("https://APP.example.com/cb")),
                denied("redirect_uri does not match"),
            ),
            ("not named, omitted", not_named.clone(), with(None), Ok(())),
            (
                "not named, sent anyway: still compared",
                not_named,
                with(Some("https://evil.example/cb")),
                denied("redirect_uri does not match"),
            ),
        ];
        for (name, record, presented, expected) in cases {
            assert_eq!(verdict(&record, presented, NOW), expected, "{name}");
        }
    }

    // RFC 7636 §4.6: the server "verifies it by calculating the code challenge
    // from the received "code_verifier" and comparing it with the previously
    // associated "code_challenge""; §4.5: "code_verifier REQUIRED";
    // RFC 9700 §4.8.2: "Authorization servers MUST ... reject token requests
    // containing a code_verifier parameter if the authorization request did
    // not contain a code_challenge parameter."
    #[test]
    fn rfc7636_4_6_the_verifier_must_answer_the_challenge_and_rfc9700_4_8_2_a_code_without_one_refuses_a_verifier() {
        let s256 = with_challenge(ChallengeMethod::S256, CHALLENGE);
        let plain = with_challenge(ChallengeMethod::Plain, VERIFIER);
        let wrong_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx";
        let with = |code_verifier| CodePresentation { code_verifier, ..presented() };
        let cases = [
            ("S256, right verifier", s256.clone(), with(Some(VERIFIER)), Ok(())),
            (
                "S256, wrong verifier",
                s256.clone(),
                with(Some(wrong_verifier)),
                denied("code_verifier does not match the code_challenge"),
            ),
            (
                "S256, the challenge sent as verifier",
                s256.clone(),
                with(Some(CHALLENGE)),
                denied("code_verifier does not match the code_challenge"),
            ),
            (
                "S256, malformed verifier",
                s256.clone(),
                with(Some("short")),
                denied("code_verifier does not match the code_challenge"),
            ),
            ("S256, no verifier", s256, with(None), denied("code_verifier is required")),
            ("plain, right verifier", plain.clone(), with(Some(VERIFIER)), Ok(())),
            (
                "plain, wrong verifier",
                plain,
                with(Some(wrong_verifier)),
                denied("code_verifier does not match the code_challenge"),
            ),
            ("no challenge, no verifier", code(), with(None), Ok(())),
            (
                "no challenge, a verifier",
                code(),
                with(Some(VERIFIER)),
                denied("the code was issued without a code_challenge"),
            ),
        ];
        for (name, record, presented, expected) in cases {
            assert_eq!(verdict(&record, presented, NOW), expected, "{name}");
        }
    }
}
