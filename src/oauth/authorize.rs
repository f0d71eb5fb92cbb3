//! The authorization endpoint (RFC 6749 §4.1.1–§4.1.2, RFC 7636 §4.3): a
//! request is validated, then either answered at once (the user approved the
//! same scope set before: seed "skip the authorization page") or parked for
//! the consent page, whose decision issues a code or an `access_denied`.
//! Each step loads through the `Store`, applies a `check_…` rule that does
//! no IO, then writes.

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::domain::client::Client;
use crate::domain::oidc::{Authentication, MAX_NONCE_LEN};
use crate::domain::pkce::CodeChallenge;
use crate::domain::scope::ScopeSet;
use crate::domain::security_event::{SecurityEvent, SecurityEventKind};
use crate::domain::token::{FamilyId, PlainSecret, SecretKind};
use crate::domain::user::UserId;
use crate::oauth::Policy;
use crate::oauth::error::{AuthorizeError, AuthorizeErrorCode, ConsentError, RedirectError, Unredirectable};
use crate::oauth::response::{AuthorizationResponse, ResponseMode};
use crate::store::{BoundRequest, Store, StoreError};

/// The longest `state` echoed back; clients use short opaque values.
pub const MAX_STATE_LEN: usize = 1024;

/// The authorization request's parameters as received.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeRequest {
    /// `client_id`
    pub client_id: Option<String>,
    /// `redirect_uri`
    pub redirect_uri: Option<String>,
    /// `response_type`
    pub response_type: Option<String>,
    /// `scope`
    pub scope: Option<String>,
    /// `state`
    pub state: Option<String>,
    /// `code_challenge`
    pub code_challenge: Option<String>,
    /// `code_challenge_method`
    pub code_challenge_method: Option<String>,
    /// `nonce` (OIDC Core §3.1.2.1), echoed in the ID token.
    pub nonce: Option<String>,
    /// `prompt` (OIDC Core §3.1.2.1): `none`, or any of `login` and `consent`.
    pub prompt: Option<String>,
    /// `max_age` (OIDC Core §3.1.2.1): seconds since sign-in allowed.
    pub max_age: Option<String>,
    /// `request` (a request object): refused.
    pub request: Option<String>,
    /// `request_uri`: refused.
    pub request_uri: Option<String>,
    /// `response_mode`: `query` (the default) or `form_post`.
    pub response_mode: Option<String>,
}

/// The `prompt` values a request named (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// `none`: show no page at all; answer with an error instead.
    pub none: bool,
    /// `login`: sign in again, even with a session.
    pub login: bool,
    /// `consent`: ask for consent, even when the scopes were approved before.
    pub consent: bool,
}

impl Prompt {
    /// Parses the space-separated list; `none` must stand alone. Unknown
    /// values (`select_account`) are refused: there is nothing to select.
    pub fn parse(raw: Option<&str>) -> Result<Prompt, &'static str> {
        let mut prompt = Prompt::default();
        for value in raw.unwrap_or_default().split_ascii_whitespace() {
            match value {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                _ => return Err("prompt may only hold none, login and consent"),
            }
        }
        if prompt.none && (prompt.login || prompt.consent) {
            return Err("prompt=none cannot be combined with other values");
        }
        Ok(prompt)
    }
}

/// Whether the user must sign in (again) before the request can go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// The session will do.
    Current,
    /// No session, `prompt=login`, or a sign-in older than `max_age`.
    Required,
}

/// The answer to `prompt=none` when the user would have to sign in (OIDC
/// Core §3.1.2.6): `interaction_required` when the browser is half-way
/// through a sign-in (the password was right and the second step waits, so
/// a page must be shown but signing in anew would not help), else
/// `login_required`.
pub fn silent_sign_in_refused(validated: &ValidatedRequest, second_step_pending: bool) -> AuthorizeError {
    if second_step_pending {
        validated.error(AuthorizeErrorCode::InteractionRequired, "the user must finish signing in")
    } else {
        validated.error(AuthorizeErrorCode::LoginRequired, "the user must sign in")
    }
}

/// OIDC Core §3.1.2.1 `id_token_hint`: "If the End-User identified by the
/// ID Token is logged in or is logged in by the request, then the
/// Authorization Server returns a positive response; otherwise, it SHOULD
/// return an error, such as `login_required`." `hinted` is the hint's `sub`
/// (`None`: no hint); `user_id` is who is signed in.
pub fn check_hinted_user(
    validated: &ValidatedRequest,
    hinted: Option<&str>,
    user_id: UserId,
) -> Result<(), AuthorizeError> {
    match hinted {
        Some(sub) if sub != user_id.to_string() => {
            Err(validated
                .error(AuthorizeErrorCode::LoginRequired, "the signed-in user is not the one id_token_hint names"))
        }
        _ => Ok(()),
    }
}

/// Whether `validated` can go on with the session's sign-in `auth` at `now`
/// (OIDC Core §3.1.2.1 `prompt=login`, `max_age`).
pub fn sign_in_needed(validated: &ValidatedRequest, auth: Option<&Authentication>, now: UnixTime) -> SignIn {
    let Some(auth) = auth else { return SignIn::Required };
    let too_old = validated.max_age.is_some_and(|max_age| now - auth.time > max_age);
    if validated.prompt.login || too_old { SignIn::Required } else { SignIn::Current }
}

/// A request whose client and callback are verified and whose other
/// parameters are valid.
#[derive(Debug, Clone)]
pub struct ValidatedRequest {
    /// The application.
    pub client: Client,
    /// The verified callback (as presented, which may carry a loopback port).
    pub redirect_uri: String,
    /// Whether the client sent `redirect_uri`.
    pub redirect_uri_given: bool,
    /// The scopes to grant.
    pub scopes: ScopeSet,
    /// Whether the client sent `scope` (only then may consent be skipped).
    pub scope_given: bool,
    /// The client's `state`.
    pub state: Option<String>,
    /// PKCE challenge.
    pub challenge: Option<CodeChallenge>,
    /// The OpenID Connect `nonce`.
    pub nonce: Option<String>,
    /// The OpenID Connect `prompt` values.
    pub prompt: Prompt,
    /// The OpenID Connect `max_age`, in seconds.
    pub max_age: Option<i64>,
    /// How the answer reaches the callback.
    pub response_mode: ResponseMode,
}

impl ValidatedRequest {
    /// Binds the request to the signed-in user, who signed in as `auth` says.
    pub fn bind(&self, user_id: UserId, auth: &Authentication) -> BoundRequest {
        BoundRequest {
            client_pk: self.client.id,
            user_id,
            redirect_uri: self.redirect_uri.clone(),
            redirect_uri_given: self.redirect_uri_given,
            scopes: self.scopes.clone(),
            state: self.state.clone(),
            challenge: self.challenge.clone(),
            nonce: self.nonce.clone(),
            auth: Some(auth.clone()),
            response_mode: self.response_mode,
        }
    }

    /// An error for the verified callback.
    pub fn error(&self, code: AuthorizeErrorCode, description: &str) -> AuthorizeError {
        AuthorizeError::Redirect(RedirectError {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            code,
            description: description.to_owned(),
            mode: self.response_mode,
        })
    }
}

/// What to do with a validated request for a signed-in user.
#[derive(Debug)]
pub enum Decision {
    /// Show the consent page for the parked request with this id.
    NeedsConsent {
        /// The opaque id the consent form posts back.
        consent_id: PlainSecret,
    },
    /// The same scopes were approved before: answer with a fresh code.
    Approved {
        /// `code` and `state` for the callback.
        response: AuthorizationResponse,
    },
}

/// Validates in the order RFC 6749 §4.1.2.1 requires: client and callback
/// first (never redirected), then the rest (redirected).
pub async fn validate(store: &dyn Store, request: AuthorizeRequest) -> Result<ValidatedRequest, AuthorizeError> {
    let not_redirectable = AuthorizeError::NotRedirectable;
    let client_id = request.client_id.as_deref().ok_or(not_redirectable(Unredirectable::NoClientId))?;
    let client = store.find_client(client_id).await?.ok_or(not_redirectable(Unredirectable::UnknownClient))?;
    check_request(client, &request)
}

/// The rules of an authorization request for a known `client`: its callback
/// (RFC 6749 §3.1.2.3: a registered one, or the only one registered), then
/// `state`, `response_type`, `scope` and PKCE.
fn check_request(client: Client, request: &AuthorizeRequest) -> Result<ValidatedRequest, AuthorizeError> {
    let not_redirectable = AuthorizeError::NotRedirectable;
    let (redirect_uri, redirect_uri_given) = match request.redirect_uri.as_deref() {
        Some(presented) => match client.find_redirect_uri(presented) {
            Some(_) => (presented.to_owned(), true),
            None => {
                return Err(not_redirectable(Unredirectable::UnregisteredRedirectUri));
            }
        },
        None => match client.redirect_uris.as_slice() {
            [only] => (only.clone(), false),
            _ => return Err(not_redirectable(Unredirectable::NoRedirectUri)),
        },
    };
    let state = request.state.clone().filter(|s| !s.is_empty());
    let mut validated = ValidatedRequest {
        client,
        redirect_uri,
        redirect_uri_given,
        scopes: ScopeSet::default(),
        scope_given: false,
        state,
        challenge: None,
        nonce: request.nonce.clone().filter(|n| !n.is_empty()),
        prompt: Prompt::default(),
        max_age: None,
        response_mode: ResponseMode::Query,
    };
    // First, so that every later error is answered the way the client asked.
    validated.response_mode = ResponseMode::parse(request.response_mode.as_deref())
        .map_err(|e| validated.error(AuthorizeErrorCode::InvalidRequest, e))?;
    check_rest(&mut validated, request)?;
    Ok(validated)
}

fn check_rest(validated: &mut ValidatedRequest, request: &AuthorizeRequest) -> Result<(), AuthorizeError> {
    use AuthorizeErrorCode::UnsupportedResponseType;
    use AuthorizeErrorCode::{InvalidRequest, InvalidScope, RequestNotSupported, RequestUriNotSupported};
    if validated.state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        validated.state = None;
        return Err(validated.error(InvalidRequest, "state is too long"));
    }
    if request.request.is_some() {
        return Err(validated.error(RequestNotSupported, "request objects are not supported"));
    }
    if request.request_uri.is_some() {
        return Err(validated.error(RequestUriNotSupported, "request_uri is not supported"));
    }
    validated.prompt = Prompt::parse(request.prompt.as_deref()).map_err(|e| validated.error(InvalidRequest, e))?;
    validated.max_age = match request.max_age.as_deref() {
        None => None,
        Some(raw) => Some(
            raw.parse::<u32>()
                .map(i64::from)
                .map_err(|_| validated.error(InvalidRequest, "max_age must be a number of seconds"))?,
        ),
    };
    if validated.nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE_LEN) {
        return Err(validated.error(InvalidRequest, "nonce is too long"));
    }
    match request.response_type.as_deref() {
        Some("code") => {}
        None => return Err(validated.error(InvalidRequest, "response_type is required")),
        Some(_) => {
            return Err(validated.error(UnsupportedResponseType, "only response_type=code is supported"));
        }
    }
    let scope = request.scope.as_deref().filter(|s| !s.trim().is_empty());
    validated.scope_given = scope.is_some();
    validated.scopes = match scope {
        None => validated.client.scopes.clone(),
        Some(raw) => ScopeSet::parse(raw).map_err(|e| validated.error(InvalidScope, &e.to_string()))?,
    };
    if !validated.scopes.is_subset(&validated.client.scopes) {
        return Err(validated.error(InvalidScope, "a requested scope is not registered for this application"));
    }
    validated.challenge = match request.code_challenge.as_deref() {
        None if validated.client.is_public() => {
            return Err(validated.error(InvalidRequest, "public clients must use PKCE (code_challenge)"));
        }
        None => None,
        Some(challenge) => Some(
            CodeChallenge::parse(challenge, request.code_challenge_method.as_deref())
                .map_err(|e| validated.error(InvalidRequest, &e.to_string()))?,
        ),
    };
    Ok(())
}

/// Decides for a signed-in user (who signed in as `auth` says): skip consent
/// when the request names exactly the scope set the user last approved for
/// this client, else park it.
pub async fn decide(
    store: &dyn Store,
    policy: &Policy,
    validated: &ValidatedRequest,
    (user_id, auth): (UserId, &Authentication),
    now: UnixTime,
) -> Result<Decision, AuthorizeError> {
    let bound = validated.bind(user_id, auth);
    // Without `scope` consent is never skipped, so the grant need not be read;
    // `prompt=consent` asks again whatever was approved before.
    let asks = !validated.scope_given || validated.prompt.consent;
    let previous = if asks { None } else { store.find_grant(user_id, validated.client.id).await? };
    if !asks && skips_consent(validated, previous.as_ref()) {
        let response = issue_code(store, policy, &bound, now).await?;
        return Ok(Decision::Approved { response });
    }
    if validated.prompt.none {
        return Err(validated.error(AuthorizeErrorCode::ConsentRequired, "the user has not approved these scopes"));
    }
    let consent_id = PlainSecret::generate(SecretKind::Consent);
    store.insert_consent_request(&consent_id.hash(), &bound, now + policy.consent_ttl).await?;
    Ok(Decision::NeedsConsent { consent_id })
}

/// Seed "skip the authorization page": the request names (in any order or
/// encoding) exactly the scope set the user last approved for this client
/// and has not revoked since (`previous`). Any other set, also a narrower
/// one, asks again; so does a request that names no scope.
fn skips_consent(validated: &ValidatedRequest, previous: Option<&ScopeSet>) -> bool {
    validated.scope_given && previous == Some(&validated.scopes)
}

/// The user's answer on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentAnswer {
    /// The "Authorize" button.
    Authorize,
    /// The "Deny" button.
    Deny,
}

impl ConsentAnswer {
    /// The consent form's `decision` field: `authorize` or `deny`.
    pub fn parse(raw: Option<&str>) -> Option<ConsentAnswer> {
        match raw {
            Some("authorize") => Some(ConsentAnswer::Authorize),
            Some("deny") => Some(ConsentAnswer::Deny),
            _ => None,
        }
    }
}

/// Where the consent page's answer sends the browser.
#[derive(Debug)]
pub struct ConsentOutcome {
    /// The request that was parked (for the audit trail).
    pub request: BoundRequest,
    /// What the user answered.
    pub answer: ConsentAnswer,
    /// A code for the callback, or `error=access_denied`.
    pub response: AuthorizationResponse,
}

/// Who answers the consent page: the signed-in user, from an address (for
/// the security log).
#[derive(Debug, Clone, Copy)]
pub struct Answerer {
    /// The signed-in user.
    pub user_id: UserId,
    /// The browser's address.
    pub ip: IpAddr,
}

/// The consent page's answer: takes the request parked under `consent_id`
/// (it is spent whatever the form says), checks it belongs to the user who
/// answers, then remembers the grant and issues a code, or denies.
pub async fn answer_consent(
    store: &dyn Store,
    policy: &Policy,
    answerer: Answerer,
    consent_id: &str,
    answer: Option<ConsentAnswer>,
    now: UnixTime,
) -> Result<ConsentOutcome, ConsentError> {
    let parked = store.take_consent_request(&PlainSecret::from_presented(consent_id).hash(), now).await?;
    let (request, answer) = check_consent(parked, answerer.user_id, answer)?;
    let response = match answer {
        ConsentAnswer::Authorize => approve(store, policy, &request, answerer.ip, now).await?,
        ConsentAnswer::Deny => deny(&request),
    };
    Ok(ConsentOutcome { request, answer, response })
}

/// The rules of a consent answer: the parked request (`None`: unknown or
/// expired) must be the signed-in user's, and the form must name an answer.
/// Another user's request reads as expired, so its existence does not show.
fn check_consent(
    parked: Option<BoundRequest>,
    user_id: UserId,
    answer: Option<ConsentAnswer>,
) -> Result<(BoundRequest, ConsentAnswer), ConsentError> {
    let request = parked.filter(|r| r.user_id == user_id).ok_or(ConsentError::Expired)?;
    let answer = answer.ok_or(ConsentError::NoAnswer)?;
    Ok((request, answer))
}

/// The user approved: remember the scope set (in the security log too) and
/// answer with a code.
async fn approve(
    store: &dyn Store,
    policy: &Policy,
    request: &BoundRequest,
    ip: IpAddr,
    now: UnixTime,
) -> Result<AuthorizationResponse, StoreError> {
    let name = store.find_client_by_pk(request.client_pk).await?.map(|c| c.name).unwrap_or_default();
    let event = SecurityEvent::new(request.user_id, SecurityEventKind::ApplicationAuthorized, Some(ip)).about(name);
    store.save_grant(request.user_id, request.client_pk, &request.scopes, now, Some(&event)).await?;
    issue_code(store, policy, request, now).await
}

/// The user denied (RFC 6749 §4.1.2.1: "`access_denied` — The resource owner
/// or authorization server denied the request"): the error goes to the callback.
fn deny(request: &BoundRequest) -> AuthorizationResponse {
    RedirectError {
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        code: AuthorizeErrorCode::AccessDenied,
        description: "The user denied the request.".to_owned(),
        mode: request.response_mode,
    }
    .response()
}

async fn issue_code(
    store: &dyn Store,
    policy: &Policy,
    request: &BoundRequest,
    now: UnixTime,
) -> Result<AuthorizationResponse, StoreError> {
    let code = PlainSecret::generate(SecretKind::AuthorizationCode);
    let family_id = FamilyId::generate();
    store.insert_authorization_code(&code.hash(), request, &family_id, now, now + policy.code_ttl).await?;
    let mut params = vec![("code", code.expose().to_owned())];
    if let Some(state) = &request.state {
        params.push(("state", state.clone()));
    }
    Ok(AuthorizationResponse { redirect_uri: request.redirect_uri.clone(), params, mode: request.response_mode })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pkce::ChallengeMethod;
    use crate::oauth::fixtures::{CALLBACK, confidential_client, public_client, scopes};

    /// RFC 7636 Appendix B.
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    /// A well-formed request of the confidential client for `CALLBACK`.
    fn request() -> AuthorizeRequest {
        AuthorizeRequest {
            client_id: Some("confidential".to_owned()),
            redirect_uri: Some(CALLBACK.to_owned()),
            response_type: Some("code".to_owned()),
            state: Some("xyz".to_owned()),
            ..AuthorizeRequest::default()
        }
    }

    /// How a check failed, as the browser sees it: a page, or a redirect
    /// with `error` (and whether `state` came back).
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Seen {
        Page(String),
        Redirect(&'static str, bool),
    }

    fn seen(error: AuthorizeError) -> Seen {
        match error {
            AuthorizeError::NotRedirectable(message) => Seen::Page(message.to_string()),
            AuthorizeError::Redirect(e) => Seen::Redirect(e.code.code(), e.state.is_some()),
            AuthorizeError::Store(e) => panic!("no store here: {e}"),
        }
    }

    fn check(client: Client, request: &AuthorizeRequest) -> Result<ValidatedRequest, Seen> {
        check_request(client, request).map_err(seen)
    }

    // RFC 6749 §4.1.2.1: "If the request fails due to a missing, invalid, or
    // mismatching redirection URI … the authorization server SHOULD inform
    // the resource owner of the error and MUST NOT automatically redirect the
    // user-agent to the invalid redirection URI"; §3.1.2.3: "If multiple
    // redirection URIs have been registered … the client MUST include a
    // redirection URI with the authorization request"; RFC 9700 §2.1: exact
    // string matching; RFC 8252 §7.3: any port on a loopback callback.
    #[test]
    fn rfc6749_4_1_2_1_a_callback_that_is_not_registered_is_a_page_never_a_redirect() {
        let mut two_callbacks = confidential_client();
        two_callbacks.redirect_uris.push("https://app.example.com/other".to_owned());
        let mut loopback = confidential_client();
        loopback.redirect_uris = vec!["http://127.0.0.1/cb".to_owned()];
        let with = |redirect_uri: Option<&str>| AuthorizeRequest {
            redirect_uri: redirect_uri.map(str::to_owned),
            ..request()
        };
        let ok = |uri: &str, given| Ok((uri.to_owned(), given));
        let unregistered = Err(Seen::Page("The redirect_uri is not registered for this application.".to_owned()));
        let cases = [
            ("registered", confidential_client(), with(Some(CALLBACK)), ok(CALLBACK, true)),
            ("omitted, one registered", confidential_client(), with(None), ok(CALLBACK, false)),
            (
                "omitted, two registered",
                two_callbacks,
                with(None),
                Err(Seen::Page("The request has no redirect_uri.".to_owned())),
            ),
            ("another host", confidential_client(), with(Some("https://evil.example/cb")), unregistered.clone()),
            ("a prefix match", confidential_client(), with(Some("https://app.example.com/cb/x")), unregistered.clone()),
            (
                "a trailing slash",
                confidential_client(),
                with(Some("https://app.example.com/cb/")),
                unregistered.clone(),
            ),
            (
                "loopback, any port",
                loopback.clone(),
                with(Some("http://127.0.0.1:5000/cb")),
                ok("http://127.0.0.1:5000/cb", true),
            ),
            ("loopback, another host", loopback, with(Some("http://localhost:5000/cb")), unregistered),
        ];
        for (name, client, request, expected) in cases {
            let got = check(client, &request).map(|v| (v.redirect_uri, v.redirect_uri_given));
            assert_eq!(got, expected, "{name}");
        }
    }

    // RFC 6749 §4.1.2.1: "If the resource owner denies the access request or
    // if the request fails for reasons other than a missing or invalid
    // redirection URI, the authorization server informs the client by adding
    // the following parameters … to the query component of the redirection URI".
    #[test]
    fn rfc6749_4_1_2_1_other_faults_are_redirected_to_the_verified_callback() {
        let cases = [
            (
                "response_type omitted",
                AuthorizeRequest { response_type: None, ..request() },
                Seen::Redirect("invalid_request", true),
            ),
            (
                "implicit (response_type=token)",
                AuthorizeRequest { response_type: Some("token".into()), ..request() },
                Seen::Redirect("unsupported_response_type", true),
            ),
            (
                "a scope not registered",
                AuthorizeRequest { scope: Some("user_info emails".into()), ..request() },
                Seen::Redirect("invalid_scope", true),
            ),
            (
                "an unknown scope",
                AuthorizeRequest { scope: Some("admin".into()), ..request() },
                Seen::Redirect("invalid_scope", true),
            ),
            (
                "state too long: not echoed",
                AuthorizeRequest { state: Some("s".repeat(MAX_STATE_LEN + 1)), ..request() },
                Seen::Redirect("invalid_request", false),
            ),
            (
                "nonce too long",
                AuthorizeRequest { nonce: Some("n".repeat(MAX_NONCE_LEN + 1)), ..request() },
                Seen::Redirect("invalid_request", true),
            ),
        ];
        for (name, request, expected) in cases {
            assert_eq!(check(confidential_client(), &request).map(|_| ()), Err(expected), "{name}");
        }
    }

    // RFC 6749 §3.3: "If the client omits the scope parameter …, the
    // authorization server MUST either process the request using a
    // pre-defined default value or fail"; SPEC §1.7: the registered set.
    #[test]
    fn rfc6749_3_3_an_omitted_scope_asks_for_the_registered_set() {
        let cases = [
            ("omitted", None, "user_info projects issues", false),
            ("blank", Some(" "), "user_info projects issues", false),
            ("named, any separator", Some("projects+user_info"), "user_info projects", true),
        ];
        for (name, scope, expected, given) in cases {
            let request = AuthorizeRequest { scope: scope.map(str::to_owned), ..request() };
            let validated = check(confidential_client(), &request).unwrap();
            assert_eq!((validated.scopes.to_string().as_str(), validated.scope_given), (expected, given), "{name}");
        }
    }

    // RFC 9700 §2.1.1: "public clients MUST use PKCE"; RFC 7636 §4.3:
    // "code_challenge_method … Defaults to "plain" if not present in the
    // request"; §4.4.1: the server "MUST respond with an error" when it does
    // not support the requested transformation.
    #[test]
    fn rfc9700_2_1_1_public_clients_must_use_pkce() {
        let pkce = |challenge: Option<&str>, method: Option<&str>| AuthorizeRequest {
            client_id: Some("public".to_owned()),
            code_challenge: challenge.map(str::to_owned),
            code_challenge_method: method.map(str::to_owned),
            ..request()
        };
        let invalid_request = Err(Seen::Redirect("invalid_request", true));
        let cases = [
            ("public, no challenge", public_client(), pkce(None, None), invalid_request.clone()),
            ("public, S256", public_client(), pkce(Some(CHALLENGE), Some("S256")), Ok(Some(ChallengeMethod::S256))),
            (
                "public, method omitted: plain",
                public_client(),
                pkce(Some(CHALLENGE), None),
                Ok(Some(ChallengeMethod::Plain)),
            ),
            ("public, unknown method", public_client(), pkce(Some(CHALLENGE), Some("S512")), invalid_request.clone()),
            ("public, malformed challenge", public_client(), pkce(Some("short"), Some("S256")), invalid_request),
            ("confidential, no challenge", confidential_client(), pkce(None, None), Ok(None)),
            (
                "confidential, S256",
                confidential_client(),
                pkce(Some(CHALLENGE), Some("S256")),
                Ok(Some(ChallengeMethod::S256)),
            ),
        ];
        for (name, client, request, expected) in cases {
            let got = check(client, &request).map(|v| v.challenge.map(|c| c.method()));
            assert_eq!(got, expected, "{name}");
        }
    }

    // Seed "skip the authorization page": "When the scope parameter names
    // exactly a set of scopes (in any order or encoding) that this user
    // approved for this application before and has not revoked since, the
    // consent page is skipped … Any other set shows the consent page."
    #[test]
    fn seed_consent_is_skipped_only_for_exactly_the_scope_set_approved_before() {
        let approved = scopes("user_info projects");
        let cases = [
            ("the same set", Some("user_info projects"), Some(&approved), true),
            ("the same set, other order and encoding", Some("projects%20user_info"), Some(&approved), true),
            ("a narrower set", Some("user_info"), Some(&approved), false),
            ("a wider set", Some("user_info projects issues"), Some(&approved), false),
            ("nothing approved before (or revoked)", Some("user_info projects"), None, false),
            ("no scope named, though the default equals it", None, Some(&scopes("user_info projects issues")), false),
        ];
        for (name, scope, previous, expected) in cases {
            let request = AuthorizeRequest { scope: scope.map(str::to_owned), ..request() };
            let validated = check(confidential_client(), &request).unwrap();
            assert_eq!(skips_consent(&validated, previous), expected, "{name}");
        }
    }

    /// A request for `user_info`, parked for user 7.
    fn parked() -> BoundRequest {
        let request = AuthorizeRequest { scope: Some("user_info".into()), ..request() };
        check(confidential_client(), &request).unwrap().bind(UserId(7), &Authentication::password(0))
    }

    // The consent form posts only an opaque id (STYLE §5); the request it
    // stands for is the signed-in user's alone, and is answered once.
    #[test]
    fn a_parked_consent_request_is_answered_only_by_the_user_it_was_parked_for() {
        use ConsentAnswer::{Authorize, Deny};
        let cases = [
            ("its user authorizes", Some(parked()), 7, Some(Authorize), Ok(Authorize)),
            ("its user denies", Some(parked()), 7, Some(Deny), Ok(Deny)),
            ("another user", Some(parked()), 8, Some(Authorize), Err("the authorization request has expired")),
            ("expired, unknown or answered", None, 7, Some(Authorize), Err("the authorization request has expired")),
            ("its user, no answer", Some(parked()), 7, None, Err("the form names no decision")),
            ("another user, no answer", Some(parked()), 8, None, Err("the authorization request has expired")),
        ];
        for (name, parked, user_id, answer, expected) in cases {
            let got = check_consent(parked, UserId(user_id), answer).map(|(_, a)| a).map_err(|e| e.to_string());
            assert_eq!(got, expected.map_err(str::to_owned), "{name}");
        }
        assert_eq!(ConsentAnswer::parse(Some("authorize")), Some(Authorize));
        assert_eq!(ConsentAnswer::parse(Some("deny")), Some(Deny));
        assert_eq!(ConsentAnswer::parse(Some("Authorize")), None);
        assert_eq!(ConsentAnswer::parse(None), None);
    }

    // OIDC Core §3.1.2.1: "nonce … The value is passed through unmodified
    // from the Authentication Request to the ID Token"; the code also
    // remembers when and how the user signed in (auth_time, amr).
    #[test]
    fn oidc_core_3_1_2_1_the_nonce_and_the_sign_in_travel_with_the_bound_request() {
        let auth = Authentication::password(1_000);
        let with_nonce = AuthorizeRequest { nonce: Some("n-0S6_WzA2Mj".into()), ..request() };

        let bound = check(confidential_client(), &with_nonce).unwrap().bind(UserId(7), &auth);

        assert_eq!(bound.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
        assert_eq!(bound.auth, Some(auth));
        let empty = AuthorizeRequest { nonce: Some(String::new()), ..request() };
        assert_eq!(check(confidential_client(), &empty).unwrap().nonce, None, "an empty nonce is none");
    }

    // RFC 6749 §4.1.2.1: "access_denied: The resource owner or authorization
    // server denied the request"; "state: REQUIRED if a "state" parameter was
    // present in the client authorization request".
    #[test]
    fn rfc6749_4_1_2_1_a_denial_redirects_access_denied_with_the_state() {
        assert_eq!(
            deny(&parked()).location(),
            "https://app.example.com/cb?error=access_denied&error_description=The+user+denied+the+request.&state=xyz"
        );
    }
}
