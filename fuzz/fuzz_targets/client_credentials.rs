//! HTTP Basic client credentials and their parameters: never a panic, and a
//! header that decodes is never combined with a body secret.
#![no_main]

use base64::Engine as _;
use gatehouse::oauth::client_auth::ClientCredentials;
use gatehouse::web::oauth::client_credentials::take_credentials;
use gatehouse::web::params::Params;
use http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut headers = HeaderMap::new();
    let value = match mode % 3 {
        0 => format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(rest)),
        1 => format!("Basic {}", String::from_utf8_lossy(rest)),
        _ => String::from_utf8_lossy(rest).into_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::AUTHORIZATION, value);
    }
    let query = if mode & 0x80 != 0 { Some("client_id=a&client_secret=b") } else { Some("client_id=a") };
    let Ok(mut params) = Params::from_query(query) else { return };
    if let Ok(ClientCredentials::Secret { basic: true, client_id, .. }) = take_credentials(&headers, &mut params) {
        assert!(mode & 0x80 == 0, "Basic and a body secret together must be refused");
        assert!(!client_id.is_empty());
    }
});
