//! PKCE verifiers and challenges: never a panic; a well-formed verifier
//! always answers its own S256 and plain challenges, and nothing malformed
//! ever verifies.
#![no_main]

use base64::Engine as _;
use gatehouse::domain::pkce::{ChallengeMethod, CodeChallenge, is_well_formed};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &str| {
    let (challenge, verifier) = data.split_once('\n').unwrap_or((data, data));
    for method in [ChallengeMethod::S256, ChallengeMethod::Plain] {
        if let Ok(stored) = CodeChallenge::parse(challenge, Some(method.as_str())) {
            assert!(is_well_formed(challenge));
            if stored.verify(verifier) {
                assert!(is_well_formed(verifier));
            }
        }
    }
    if is_well_formed(verifier) {
        let derived = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let plain = CodeChallenge::parse(verifier, Some("plain"));
        let s256 = CodeChallenge::parse(&derived, Some("S256"));
        assert!(plain.is_ok_and(|c| c.verify(verifier)));
        assert!(s256.is_ok_and(|c| c.verify(verifier)));
    }
});
