//! RP-initiated sign-out (OpenID Connect RP-Initiated Logout 1.0, SPEC §5
//! "Sign-out"): which application asks, whether the browser may be sent
//! back to it afterwards, and whether to ask the user first. No IO here:
//! the handler reads the hint and the application, these rules decide.

use crate::domain::client::Client;
use crate::domain::user::UserId;
use crate::keys::IssuedIdToken;
use crate::oauth::error::append_query;

/// Why a sign-out request is refused with a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoutError {
    /// `id_token_hint` is not an ID token this server signed.
    #[error("the id_token_hint is not an ID token this server issued")]
    BadHint,
    /// `client_id` names another application than the hint was issued to
    /// (§2: "the OP … MUST verify that it matches the ID Token's Client ID").
    #[error("the client_id does not match the id_token_hint")]
    ClientMismatch,
    /// `client_id` names no application.
    #[error("no application has this client_id")]
    UnknownClient,
}

/// The application a sign-out request comes from: its `client_id`, else
/// the audience of its hint (an ID token names exactly one here).
pub fn requesting_client_id(
    client_id: Option<&str>,
    hint: Option<&IssuedIdToken>,
) -> Result<Option<String>, LogoutError> {
    match (client_id.filter(|c| !c.is_empty()), hint) {
        (Some(client_id), Some(hint)) if !hint.aud.iter().any(|aud| aud == client_id) => {
            Err(LogoutError::ClientMismatch)
        }
        (Some(client_id), _) => Ok(Some(client_id.to_owned())),
        (None, Some(hint)) => Ok(hint.aud.first().cloned()),
        (None, None) => Ok(None),
    }
}

/// Where the browser goes after signing out: `post_logout_redirect_uri`
/// with `state`, only when the requesting application registered exactly
/// that URL (§3: "MUST exactly match"); `None` means the signed-out page.
pub fn destination(
    client: Option<&Client>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Option<String> {
    let uri = post_logout_redirect_uri?;
    if !client?.has_post_logout_redirect_uri(uri) {
        return None;
    }
    Some(match state.filter(|s| !s.is_empty()) {
        Some(state) => append_query(uri, &[("state", state)]),
        None => uri.to_owned(),
    })
}

/// Whether the user is signed out at once: the hint names the signed-in
/// user (§2: the hint shows the request comes from an application the user
/// signed in to; anyone else could send the browser here, so without it
/// the user is asked).
pub fn signs_out_at_once(hint: Option<&IssuedIdToken>, signed_in: UserId) -> bool {
    hint.is_some_and(|hint| hint.sub == signed_in.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::fixtures::confidential_client;

    fn hint(sub: &str, aud: &str) -> IssuedIdToken {
        IssuedIdToken { sub: sub.to_owned(), aud: vec![aud.to_owned()] }
    }

    // RP-Initiated Logout §2 `client_id`: "When both client_id and
    // id_token_hint are present, the OP MUST verify that the Client
    // Identifier matches the one used when issuing the ID Token."
    #[test]
    fn rp_logout_2_the_client_is_named_or_taken_from_the_hint_and_both_must_agree() {
        let cases = [
            ("client_id only", Some("a"), None, Ok(Some("a".to_owned()))),
            ("hint only", None, Some(hint("7", "b")), Ok(Some("b".to_owned()))),
            ("both agree", Some("b"), Some(hint("7", "b")), Ok(Some("b".to_owned()))),
            ("both disagree", Some("a"), Some(hint("7", "b")), Err(LogoutError::ClientMismatch)),
            ("an empty client_id is none", Some(""), None, Ok(None)),
            ("neither", None, None, Ok(None)),
        ];
        for (name, client_id, hint, expected) in cases {
            assert_eq!(requesting_client_id(client_id, hint.as_ref()), expected, "{name}");
        }
    }

    // RP-Initiated Logout §3: "The value MUST have been previously
    // registered with the OP … using the post_logout_redirect_uris
    // Registration parameter" and "MUST exactly match"; `state` is passed
    // back as a query parameter.
    #[test]
    fn rp_logout_3_the_browser_goes_back_only_to_an_exactly_registered_url_with_the_state() {
        let mut client = confidential_client();
        client.post_logout_redirect_uris = vec!["https://app.example.com/bye".to_owned()];
        let registered = Some("https://app.example.com/bye");
        let cases = [
            (
                "registered, with state",
                Some(&client),
                registered,
                Some("s 1"),
                Some("https://app.example.com/bye?state=s+1"),
            ),
            ("registered, no state", Some(&client), registered, None, Some("https://app.example.com/bye")),
            ("a trailing slash", Some(&client), Some("https://app.example.com/bye/"), None, None),
            ("another query", Some(&client), Some("https://app.example.com/bye?x=1"), None, None),
            ("another host", Some(&client), Some("https://evil.example/bye"), None, None),
            ("no application named", None, registered, None, None),
            ("no URL", Some(&client), None, Some("s"), None),
        ];
        for (name, client, uri, state, expected) in cases {
            assert_eq!(destination(client, uri, state).as_deref(), expected, "{name}");
        }
    }

    // SPEC §5 "Sign-out": "with an id_token_hint that matches the session
    // the user is signed out at once; otherwise a page asks".
    #[test]
    fn spec_5_only_a_hint_naming_the_signed_in_user_signs_out_without_asking() {
        assert!(signs_out_at_once(Some(&hint("7", "a")), UserId(7)));
        assert!(!signs_out_at_once(Some(&hint("8", "a")), UserId(7)));
        assert!(!signs_out_at_once(None, UserId(7)));
    }
}
