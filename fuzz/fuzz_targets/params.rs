//! Query strings, form bodies and JSON bodies, merged with limits, then read
//! as a token request: never a panic, and every accepted set of parameters
//! respects the limits.
#![no_main]

use gatehouse::web::oauth::token::grant_request;
use gatehouse::web::params::{MAX_PARAMS, Params};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte picks the body type; the rest splits into query and body at the first 0xFF.
    let Some((&kind, rest)) = data.split_first() else { return };
    let split = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
    let (query, body) = rest.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let content_type = match kind % 4 {
        0 => Some("application/x-www-form-urlencoded"),
        1 => Some("application/json"),
        2 => Some("application/x-www-form-urlencoded; charset=utf-8"),
        _ => None,
    };
    let query = String::from_utf8_lossy(query);
    let Ok(mut params) = Params::from_query(Some(&query)) else { return };
    if params.extend_from_body(content_type, body).is_err() {
        return;
    }
    let _ = params.get("grant_type");
    let _ = grant_request(&mut params);
    let _ = MAX_PARAMS;
});
