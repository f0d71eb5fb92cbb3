//! Scope strings: parsing never panics, and the canonical form parses back
//! to the same set.
#![no_main]

use gatehouse::domain::scope::ScopeSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(set) = ScopeSet::parse(data) {
        let canonical = set.to_string();
        assert_eq!(ScopeSet::parse(&canonical).ok(), Some(set), "round trip of {canonical:?}");
    }
});
