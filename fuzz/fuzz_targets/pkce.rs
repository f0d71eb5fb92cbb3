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
        let stored = CodeChallenge { challenge: challenge.to_owned(), method };
        if stored.verify(verifier) {
            assert!(is_well_formed(verifier));
        }
    }
    if is_well_formed(verifier) {
        let plain = CodeChallenge { challenge: verifier.to_owned(), method: ChallengeMethod::Plain };
        let s256 = CodeChallenge {
            challenge: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            method: ChallengeMethod::S256,
        };
        assert!(plain.verify(verifier));
        assert!(s256.verify(verifier));
    }
});
