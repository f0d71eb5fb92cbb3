//! User codes as people type them (RFC 8628 §6.1): reading never panics;
//! whatever reads as a code reads back the same from the form a device
//! shows, in lower case, and without the dash.
#![no_main]

use gatehouse::domain::device::UserCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Some(code) = UserCode::parse(data) {
        let shown = code.display();
        assert_eq!(shown.len(), 9, "four letters, a dash, four letters");
        assert_eq!(UserCode::parse(&shown).as_ref(), Some(&code));
        assert_eq!(UserCode::parse(&shown.to_lowercase()).as_ref(), Some(&code));
        assert_eq!(UserCode::parse(&shown.replace('-', "")).as_ref(), Some(&code));
    }
});
