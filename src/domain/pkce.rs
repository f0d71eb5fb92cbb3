//! Proof Key for Code Exchange (RFC 7636).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `code_challenge_method` (RFC 7636 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeMethod {
    /// `S256`: the challenge is BASE64URL(SHA256(verifier)).
    S256,
    /// `plain`: the challenge is the verifier.
    Plain,
}

impl ChallengeMethod {
    /// Parses the wire name; absent means `plain` (RFC 7636 §4.3).
    pub fn parse(raw: Option<&str>) -> Option<ChallengeMethod> {
        match raw {
            None | Some("plain") => Some(ChallengeMethod::Plain),
            Some("S256") => Some(ChallengeMethod::S256),
            Some(_) => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeMethod::S256 => "S256",
            ChallengeMethod::Plain => "plain",
        }
    }
}

/// Why a `code_challenge` was refused (RFC 7636 §4.4.1: `invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// `code_challenge_method` names a transformation the server does not support.
    #[error("code_challenge_method must be S256 or plain")]
    Method,
    /// The challenge is not 43 to 128 characters of the unreserved set (§4.2).
    #[error("code_challenge is malformed")]
    Malformed,
}

/// A code challenge bound to an authorization code: parsed once, from the
/// request or from its stored columns, so that a well-formed challenge with
/// a known method is all there is to verify against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge {
    /// The challenge as the client sent it.
    challenge: String,
    /// How the verifier maps to it.
    method: ChallengeMethod,
}

/// Whether `value` has the form RFC 7636 §4.1 gives both verifier and
/// challenge: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

impl CodeChallenge {
    /// Parses `code_challenge` and `code_challenge_method` (absent means
    /// `plain`, RFC 7636 §4.3); the method is checked first.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<CodeChallenge, ChallengeError> {
        let method = ChallengeMethod::parse(method).ok_or(ChallengeError::Method)?;
        if !is_well_formed(challenge) {
            return Err(ChallengeError::Malformed);
        }
        Ok(CodeChallenge { challenge: challenge.to_owned(), method })
    }

    /// The challenge as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.challenge
    }

    /// How the verifier maps to it.
    pub fn method(&self) -> ChallengeMethod {
        self.method
    }

    /// Whether `verifier` answers this challenge (RFC 7636 §4.6), in constant time.
    pub fn verify(&self, verifier: &str) -> bool {
        if !is_well_formed(verifier) {
            return false;
        }
        let derived = match self.method {
            ChallengeMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            ChallengeMethod::Plain => verifier.to_owned(),
        };
        derived.as_bytes().ct_eq(self.challenge.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example_verifies() {
        let challenge = CodeChallenge {
            challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            method: ChallengeMethod::S256,
        };
        assert!(challenge.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!challenge.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx"));
    }

    #[test]
    fn plain_compares_verbatim() {
        let v = "a".repeat(43);
        let challenge = CodeChallenge { challenge: v.clone(), method: ChallengeMethod::Plain };
        assert!(challenge.verify(&v));
        assert!(!challenge.verify(&"b".repeat(43)));
    }

    // RFC 7636 §4.3: "code_challenge_method … Defaults to "plain" if not
    // present"; §4.2: a challenge has the verifier's alphabet and length.
    #[test]
    fn rfc7636_4_2_and_4_3_a_challenge_is_parsed_with_its_method() {
        let good = "a".repeat(43);
        let cases = [
            ("S256", good.as_str(), Some("S256"), Ok(ChallengeMethod::S256)),
            ("plain", &good, Some("plain"), Ok(ChallengeMethod::Plain)),
            ("no method: plain", &good, None, Ok(ChallengeMethod::Plain)),
            ("unknown method", &good, Some("s256"), Err(ChallengeError::Method)),
            ("unknown method beats malformed", "short", Some("md5"), Err(ChallengeError::Method)),
            ("too short", "short", Some("S256"), Err(ChallengeError::Malformed)),
            ("outside the alphabet", &format!("{good}!"), None, Err(ChallengeError::Malformed)),
        ];
        for (name, challenge, method, expected) in cases {
            let got = CodeChallenge::parse(challenge, method);
            assert_eq!(got.as_ref().map(CodeChallenge::method).map_err(|e| *e), expected, "{name}");
            if let Ok(parsed) = got {
                assert_eq!(parsed.as_str(), challenge, "{name}: kept verbatim");
            }
        }
    }

    #[test]
    fn short_or_odd_verifiers_are_malformed() {
        assert!(!is_well_formed("short"));
        assert!(!is_well_formed(&"a".repeat(129)));
        assert!(!is_well_formed(&format!("{}!", "a".repeat(43))));
    }
}
