//! The authorization endpoint (RFC 6749 §4.1.1–§4.1.2, RFC 7636 §4.3): a
//! request is validated, then either answered at once (the user approved the
//! same scope set before: seed "skip the authorization page") or parked for
//! the consent page, whose decision issues a code or an `access_denied`.

use crate::clock::UnixTime;
use crate::domain::client::Client;
use crate::domain::pkce::{self, ChallengeMethod, CodeChallenge};
use crate::domain::scope::ScopeSet;
use crate::domain::token::{PlainSecret, SecretKind};
use crate::oauth::Policy;
use crate::oauth::error::{AuthorizeError, AuthorizeErrorCode, RedirectError, append_query};
use crate::store::{BoundRequest, Store};

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
}

impl ValidatedRequest {
    /// Binds the request to the signed-in user.
    pub fn bind(&self, user_id: i64) -> BoundRequest {
        BoundRequest {
            client_pk: self.client.id,
            user_id,
            redirect_uri: self.redirect_uri.clone(),
            redirect_uri_given: self.redirect_uri_given,
            scopes: self.scopes.clone(),
            state: self.state.clone(),
            challenge: self.challenge.clone(),
        }
    }

    fn error(&self, code: AuthorizeErrorCode, description: &str) -> AuthorizeError {
        AuthorizeError::Redirect(RedirectError {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            code,
            description: description.to_owned(),
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
    /// The same scopes were approved before: redirect with a fresh code.
    Approved {
        /// The callback URL with `code` and `state`.
        location: String,
    },
}

/// Validates in the order RFC 6749 §4.1.2.1 requires: client and callback
/// first (never redirected), then the rest (redirected).
pub async fn validate(store: &dyn Store, request: AuthorizeRequest) -> Result<ValidatedRequest, AuthorizeError> {
    let not_redirectable = |m: &str| AuthorizeError::NotRedirectable(m.to_owned());
    let client_id = request.client_id.as_deref().ok_or_else(|| not_redirectable("The request has no client_id."))?;
    let client =
        store.find_client(client_id).await?.ok_or_else(|| not_redirectable("No application has this client_id."))?;
    let (redirect_uri, redirect_uri_given) = match request.redirect_uri.as_deref() {
        Some(presented) => match client.find_redirect_uri(presented) {
            Some(_) => (presented.to_owned(), true),
            None => {
                return Err(not_redirectable("The redirect_uri is not registered for this application."));
            }
        },
        None => match client.redirect_uris.as_slice() {
            [only] => (only.clone(), false),
            _ => return Err(not_redirectable("The request has no redirect_uri.")),
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
    };
    check_rest(&mut validated, &request)?;
    Ok(validated)
}

fn check_rest(validated: &mut ValidatedRequest, request: &AuthorizeRequest) -> Result<(), AuthorizeError> {
    use AuthorizeErrorCode::{InvalidRequest, InvalidScope, UnsupportedResponseType};
    if validated.state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        validated.state = None;
        return Err(validated.error(InvalidRequest, "state is too long"));
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
        Some(challenge) => {
            let method = ChallengeMethod::parse(request.code_challenge_method.as_deref())
                .ok_or_else(|| validated.error(InvalidRequest, "code_challenge_method must be S256 or plain"))?;
            if !pkce::is_well_formed(challenge) {
                return Err(validated.error(InvalidRequest, "code_challenge is malformed"));
            }
            Some(CodeChallenge { challenge: challenge.to_owned(), method })
        }
    };
    Ok(())
}

/// Decides for a signed-in user: skip consent when the request names exactly
/// the scope set the user last approved for this client, else park it.
pub async fn decide(
    store: &dyn Store,
    policy: &Policy,
    validated: &ValidatedRequest,
    user_id: i64,
    now: UnixTime,
) -> Result<Decision, AuthorizeError> {
    let bound = validated.bind(user_id);
    if validated.scope_given {
        let previous = store.find_grant(user_id, validated.client.id).await?;
        if previous.as_ref() == Some(&validated.scopes) {
            let location = issue_code(store, policy, &bound, now).await?;
            return Ok(Decision::Approved { location });
        }
    }
    let consent_id = PlainSecret::generate(SecretKind::Consent);
    store.insert_consent_request(&consent_id.hash(), &bound, now + policy.consent_ttl).await?;
    Ok(Decision::NeedsConsent { consent_id })
}

/// The user approved: remember the scope set and redirect with a code.
pub async fn approve(
    store: &dyn Store,
    policy: &Policy,
    request: &BoundRequest,
    now: UnixTime,
) -> Result<String, AuthorizeError> {
    store.save_grant(request.user_id, request.client_pk, &request.scopes, now).await?;
    issue_code(store, policy, request, now).await
}

/// The user denied: `access_denied` to the callback.
pub fn deny(request: &BoundRequest) -> String {
    RedirectError {
        redirect_uri: request.redirect_uri.clone(),
        state: request.state.clone(),
        code: AuthorizeErrorCode::AccessDenied,
        description: "The user denied the request.".to_owned(),
    }
    .location()
}

async fn issue_code(
    store: &dyn Store,
    policy: &Policy,
    request: &BoundRequest,
    now: UnixTime,
) -> Result<String, AuthorizeError> {
    let code = PlainSecret::generate(SecretKind::AuthorizationCode);
    let family_id = uuid::Uuid::now_v7().to_string();
    store.insert_authorization_code(&code.hash(), request, &family_id, now, now + policy.code_ttl).await?;
    let mut params = vec![("code", code.expose())];
    if let Some(state) = &request.state {
        params.push(("state", state));
    }
    Ok(append_query(&request.redirect_uri, &params))
}
