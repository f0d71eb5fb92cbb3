//! Callback URLs: what may be registered, and when a presented `redirect_uri`
//! matches a registered one (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252 §7).

use url::Url;

/// The longest callback URL Gatehouse accepts.
pub const MAX_LEN: usize = 2000;

/// Schemes that would run code or read local data if a browser followed them.
const FORBIDDEN_SCHEMES: [&str; 7] = ["javascript", "data", "file", "vbscript", "blob", "about", "ftp"];

/// Loopback origins whose port may vary at authorization time (RFC 8252 §7.3).
const PORTLESS_LOOPBACK: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// Why a callback URL cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    /// Not an absolute URL.
    #[error("callback URL is not an absolute URL")]
    NotAbsolute,
    /// Longer than [`MAX_LEN`].
    #[error("callback URL is longer than {MAX_LEN} characters")]
    TooLong,
    /// RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
    #[error("callback URL must not have a fragment")]
    Fragment,
    /// Credentials in a URL are never needed and hide the real host.
    #[error("callback URL must not contain a user name or password")]
    UserInfo,
    /// `http` is only for loopback, unless the operator allows it.
    #[error("callback URL must use https (http only on 127.0.0.1, [::1] or localhost)")]
    InsecureHttp,
    /// Characters outside ASCII must be percent-encoded.
    #[error("callback URL must be ASCII (percent-encode other characters)")]
    NonAscii,
    /// `javascript:`, `data:` and their kind.
    #[error("callback URL scheme `{0}` is not allowed")]
    ForbiddenScheme(String),
}

/// Checks a callback URL for registration: `https`, `http` on loopback (or
/// anywhere when `allow_http` is set by the operator), or a custom scheme for
/// native apps. Returns the URL exactly as given: matching compares strings.
pub fn validate_for_registration(raw: &str, allow_http: bool) -> Result<String, RedirectUriError> {
    if raw.len() > MAX_LEN {
        return Err(RedirectUriError::TooLong);
    }
    if !raw.is_ascii() {
        return Err(RedirectUriError::NonAscii);
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(RedirectUriError::NotAbsolute);
    }
    let url = Url::parse(raw).map_err(|_| RedirectUriError::NotAbsolute)?;
    if url.fragment().is_some() || raw.contains('#') {
        return Err(RedirectUriError::Fragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RedirectUriError::UserInfo);
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback_host(&url) => {}
        "http" => return Err(RedirectUriError::InsecureHttp),
        scheme if FORBIDDEN_SCHEMES.contains(&scheme) => {
            return Err(RedirectUriError::ForbiddenScheme(scheme.to_owned()));
        }
        _ => {}
    }
    Ok(raw.to_owned())
}

fn is_loopback_host(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))
}

/// Whether a presented `redirect_uri` matches a registered one: exact string
/// comparison (no case folding, no normalisation), except that a loopback IP
/// callback registered without a port accepts any port (RFC 8252 §7.3).
pub fn matches(registered: &str, presented: &str) -> bool {
    registered == presented || matches_on_any_port(registered, presented)
}

fn matches_on_any_port(registered: &str, presented: &str) -> bool {
    PORTLESS_LOOPBACK.iter().any(|origin| {
        let Some(registered_rest) = registered.strip_prefix(origin) else {
            return false;
        };
        if !(registered_rest.is_empty() || registered_rest.starts_with('/')) {
            return false;
        }
        let Some(after_colon) = presented.strip_prefix(origin).and_then(|r| r.strip_prefix(':')) else {
            return false;
        };
        let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
        let (port, rest) = after_colon.split_at(digits);
        (1..=5).contains(&digits) && port.parse::<u16>().is_ok_and(|p| p != 0) && rest == registered_rest
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_accepts_https_loopback_and_custom_schemes() {
        for ok in [
            "https://app.example.com/callback",
            "http://127.0.0.1/cb",
            "http://[::1]:8000/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(validate_for_registration(ok, false).as_deref(), Ok(ok), "{ok}");
        }
    }

    #[test]
    fn registration_refuses_dangerous_urls() {
        for (bad, err) in [
            ("javascript:alert(1)", RedirectUriError::ForbiddenScheme("javascript".into())),
            ("data:text/html,hi", RedirectUriError::ForbiddenScheme("data".into())),
            ("http://example.com/cb", RedirectUriError::InsecureHttp),
            ("https://example.com/cb#frag", RedirectUriError::Fragment),
            ("https://user:pw@example.com/cb", RedirectUriError::UserInfo),
            ("/relative", RedirectUriError::NotAbsolute),
        ] {
            assert_eq!(validate_for_registration(bad, false), Err(err), "{bad}");
        }
        assert!(validate_for_registration("http://example.com/cb", true).is_ok());
    }

    #[test]
    fn matching_is_exact() {
        let reg = "https://app.example.com/callback";
        assert!(matches(reg, reg));
        for other in [
            "https://app.example.com/callback/",
            "https://APP.example.com/callback",
            "https://app.example.com:443/callback",
            "https://app.example.com/callback?x=1",
            "https://app.example.com/callbackx",
            "https://app.example.com/call",
        ] {
            assert!(!matches(reg, other), "{other}");
        }
    }

    #[test]
    fn portless_loopback_accepts_any_port_only() {
        let reg = "http://127.0.0.1/cb";
        assert!(matches(reg, "http://127.0.0.1:53211/cb"));
        assert!(matches("http://[::1]/cb", "http://[::1]:8080/cb"));
        for other in [
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:99999/cb",
            "http://127.0.0.1:80@evil.example/cb",
            "http://127.0.0.1:8080.evil.example/cb",
            "http://127.0.0.1:8080/cb/x",
            "http://localhost:8080/cb",
            "https://127.0.0.1:8080/cb",
        ] {
            assert!(!matches(reg, other), "{other}");
        }
        assert!(!matches("http://127.0.0.1:9000/cb", "http://127.0.0.1:9001/cb"));
    }
}
