//! `--smtp-url`: where mail goes and how (SPEC §7 "Mail"). `smtp://host:port`
//! is plain SMTP (a relay on the same machine or network), `smtps://` is
//! TLS from the first byte (RFC 8314 §3.3, port 465 by default),
//! `smtp://…?tls=starttls` upgrades with STARTTLS and refuses to go on
//! without it (RFC 3207, port 587 by default). A user name and password in
//! the URL's user info are sent with SMTP AUTH; the password never shows in
//! `Debug` or `Display`, so the URL can be logged.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use zeroize::Zeroizing;

/// What a user name keeps unencoded when shown (RFC 3986's unreserved).
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// No TLS (`smtp://`).
    None,
    /// STARTTLS, required (`smtp://…?tls=starttls`).
    StartTls,
    /// TLS from the start (`smtps://`).
    Implicit,
}

/// A parsed `--smtp-url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// How the connection is protected.
    pub tls: TlsMode,
    /// The server's name or address (an IPv6 address without brackets).
    pub host: String,
    /// The port (25, 587 or 465 when the URL names none).
    pub port: u16,
    /// The SMTP AUTH user name, percent-decoded.
    pub username: Option<String>,
    /// The SMTP AUTH password, percent-decoded.
    password: Option<Zeroizing<String>>,
}

/// Why an SMTP URL was refused; the message names the rule, never the URL
/// (which may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    /// Not a URL at all.
    #[error("smtp_url is not a URL (expected smtp://HOST:PORT, smtps://HOST:PORT or smtp://HOST:PORT?tls=starttls)")]
    NotAUrl,
    /// Another scheme.
    #[error("smtp_url must start with smtp:// or smtps://")]
    Scheme,
    /// No host.
    #[error("smtp_url has no host")]
    NoHost,
    /// A path, fragment or query the mailer would ignore.
    #[error("smtp_url may only carry ?tls=starttls (on smtp://), nothing else after the host and port")]
    Extra,
    /// A password without a user name, or user info that is not UTF-8.
    #[error("smtp_url credentials must be USER:PASSWORD (percent-encoded UTF-8)")]
    Credentials,
}

impl SmtpUrl {
    /// Parses `smtp://[USER[:PASSWORD]@]HOST[:PORT][?tls=starttls]` or
    /// `smtps://[USER[:PASSWORD]@]HOST[:PORT]`.
    pub fn parse(raw: &str) -> Result<SmtpUrl, SmtpUrlError> {
        let url = url::Url::parse(raw.trim()).map_err(|_| SmtpUrlError::NotAUrl)?;
        let tls = match (url.scheme(), url.query()) {
            ("smtp", None) => TlsMode::None,
            ("smtp", Some("tls=starttls")) => TlsMode::StartTls,
            ("smtps", None) => TlsMode::Implicit,
            ("smtp" | "smtps", Some(_)) => return Err(SmtpUrlError::Extra),
            _ => return Err(SmtpUrlError::Scheme),
        };
        let host = match url.host() {
            Some(url::Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(url::Host::Ipv4(address)) => address.to_string(),
            Some(url::Host::Ipv6(address)) => address.to_string(),
            _ => return Err(SmtpUrlError::NoHost),
        };
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return Err(SmtpUrlError::Extra);
        }
        let port = url.port().unwrap_or(match tls {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Implicit => 465,
        });
        let decode = |part: &str| percent_decode_str(part).decode_utf8().map(|s| s.into_owned());
        let username = Some(url.username()).filter(|u| !u.is_empty()).map(decode).transpose();
        let password = url.password().map(decode).transpose();
        let (Ok(username), Ok(password)) = (username, password) else {
            return Err(SmtpUrlError::Credentials);
        };
        if password.is_some() && username.is_none() {
            return Err(SmtpUrlError::Credentials);
        }
        Ok(SmtpUrl { tls, host, port, username, password: password.map(Zeroizing::new) })
    }

    /// The SMTP AUTH password, for the transport only.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref().map(String::as_str)
    }
}

/// The URL with its password replaced by `REDACTED`.
impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls == TlsMode::Implicit { "smtps" } else { "smtp" };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.username {
            let user = utf8_percent_encode(user, USERINFO);
            let password = if self.password.is_some() { ":REDACTED" } else { "" };
            write!(f, "{user}{password}@")?;
        }
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        write!(f, "{host}:{}", self.port)?;
        if self.tls == TlsMode::StartTls {
            f.write_str("?tls=starttls")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_picks_its_protection_and_default_port() {
        let cases = [
            ("smtp://mail.example.com", TlsMode::None, 25),
            ("smtp://mail.example.com:2525", TlsMode::None, 2525),
            ("smtp://mail.example.com?tls=starttls", TlsMode::StartTls, 587),
            ("smtp://mail.example.com:26/?tls=starttls", TlsMode::StartTls, 26),
            ("smtps://mail.example.com", TlsMode::Implicit, 465),
            ("smtps://mail.example.com:4650", TlsMode::Implicit, 4650),
        ];
        for (raw, tls, port) in cases {
            let url = SmtpUrl::parse(raw).unwrap();
            assert_eq!((url.tls, url.port, url.host.as_str()), (tls, port, "mail.example.com"), "{raw}");
        }
        assert_eq!(SmtpUrl::parse("smtp://[::1]:25").unwrap().host, "::1");
        assert_eq!(SmtpUrl::parse("smtp://127.0.0.1:25").unwrap().host, "127.0.0.1");
    }

    #[test]
    fn credentials_are_percent_decoded_and_never_shown() {
        let url = SmtpUrl::parse("smtps://ann%40example.com:p%3Ass%20word@mail.example.com").unwrap();

        assert_eq!(url.username.as_deref(), Some("ann@example.com"));
        assert_eq!(url.password(), Some("p:ss word"));
        assert_eq!(url.to_string(), "smtps://ann%40example.com:REDACTED@mail.example.com:465");
        assert!(!format!("{url:?}").contains("word"));
    }

    #[test]
    fn anything_else_is_refused_without_echoing_the_url() {
        let cases = [
            ("not a url", SmtpUrlError::NotAUrl),
            ("http://mail.example.com", SmtpUrlError::Scheme),
            ("smtp:///nohost", SmtpUrlError::NoHost),
            ("smtp://mail.example.com/path", SmtpUrlError::Extra),
            ("smtp://mail.example.com?tls=required", SmtpUrlError::Extra),
            ("smtps://mail.example.com?tls=starttls", SmtpUrlError::Extra),
            ("smtp://mail.example.com#x", SmtpUrlError::Extra),
            ("smtp://:secret@mail.example.com", SmtpUrlError::Credentials),
            ("smtp://u:%FF@mail.example.com", SmtpUrlError::Credentials),
        ];
        for (raw, expected) in cases {
            let error = SmtpUrl::parse(raw).unwrap_err();
            assert_eq!(error, expected, "{raw}");
            assert!(!error.to_string().contains("secret"));
        }
    }
}
