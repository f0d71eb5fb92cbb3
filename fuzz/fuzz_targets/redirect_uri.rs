//! Callback URLs: registration never panics and never accepts a dangerous
//! scheme; matching is exact except for the port of a portless loopback
//! callback.
#![no_main]

use gatehouse::domain::redirect_uri::{matches, validate_for_registration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let (registered, presented) = data.split_once('\n').unwrap_or((data, data));
    if let Ok(accepted) = validate_for_registration(registered, false) {
        let lower = accepted.to_ascii_lowercase();
        for scheme in ["javascript:", "data:", "file:", "vbscript:"] {
            assert!(!lower.starts_with(scheme), "registered {accepted:?}");
        }
        assert!(!accepted.contains('#'));
    }
    if matches(registered, presented) && registered != presented {
        let loopback = ["http://127.0.0.1:", "http://[::1]:"];
        assert!(loopback.iter().any(|p| presented.starts_with(p)), "{registered:?} ~ {presented:?}");
        assert!(!presented.contains('@'), "{presented:?}");
    }
});
