//! Request parameters from the query string and the body together (SPEC §1.1:
//! "accepted in the form body and in the query string"; §2: also JSON), with
//! explicit limits on their number and length. This is where parameters
//! enter, so it is also where bytes no backend can store are refused (SPEC §4,
//! "Robustness"): invalid UTF-8 and control characters never reach a handler.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;

/// Most parameters one request may carry.
pub const MAX_PARAMS: usize = 32;
/// Longest parameter name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest parameter value, in bytes.
pub const MAX_VALUE_LEN: usize = 4096;

/// Why the parameters could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
    #[error("parameter `{0}` is given more than once with different values")]
    Duplicate(String),
    /// More than [`MAX_PARAMS`].
    #[error("too many parameters (at most {MAX_PARAMS})")]
    TooMany,
    /// A name or value over its limit.
    #[error("parameter `{0}` is too long")]
    TooLong(String),
    /// The body is larger than the configured limit.
    #[error("the request body is too large")]
    BodyTooLarge,
    /// The body could not be parsed.
    #[error("the request body is malformed: {0}")]
    Malformed(String),
    /// A name or value that is not UTF-8 after percent-decoding, or holds a
    /// control character (PostgreSQL refuses NUL in text; nothing we store
    /// needs the others). Carries the parameter's name, made printable.
    #[error("parameter `{0}` holds a control character or invalid UTF-8")]
    BadBytes(String),
    /// A body of a type other than form or JSON.
    #[error("the request body must be application/x-www-form-urlencoded or application/json")]
    UnsupportedMediaType,
}

/// The merged parameters. Empty values count as absent (RFC 6749 §3.1:
/// "Parameters sent without a value MUST be treated as if they were omitted"),
/// except to [`Params::given`], for the one kind of request where an empty
/// value means something: clearing a field (`PATCH /api/v5/user`).
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, String>,
    /// Names sent with an empty value (at most [`MAX_PARAMS`] remembered).
    blank: BTreeSet<String>,
}

impl Params {
    /// Parses a query string.
    pub fn from_query(query: Option<&str>) -> Result<Params, ParamsError> {
        let mut params = Params::default();
        if let Some(query) = query {
            params.extend(form_pairs(query.as_bytes()))?;
        }
        Ok(params)
    }

    /// Adds the parameters of a form or JSON body.
    pub fn extend_from_body(&mut self, content_type: Option<&str>, body: &[u8]) -> Result<(), ParamsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let media_type = content_type.and_then(|c| c.split(';').next()).map(|m| m.trim().to_ascii_lowercase());
        match media_type.as_deref() {
            Some("application/x-www-form-urlencoded") => self.extend(form_pairs(body)),
            Some("application/json") => self.extend(json_pairs(body)?.into_iter().map(Ok)),
            _ => Err(ParamsError::UnsupportedMediaType),
        }
    }

    /// Adds decoded pairs, checking every one whatever its source (query,
    /// form or JSON): limits first, then the characters.
    fn extend(
        &mut self,
        pairs: impl IntoIterator<Item = Result<(String, String), ParamsError>>,
    ) -> Result<(), ParamsError> {
        for pair in pairs {
            let (name, value) = pair?;
            if name.len() > MAX_NAME_LEN {
                return Err(ParamsError::TooLong(printable(name.as_bytes())));
            }
            if value.len() > MAX_VALUE_LEN {
                return Err(ParamsError::TooLong(printable(name.as_bytes())));
            }
            if !is_clean(&name) || !is_clean(&value) {
                return Err(ParamsError::BadBytes(printable(name.as_bytes())));
            }
            if value.is_empty() {
                if self.blank.len() < MAX_PARAMS {
                    self.blank.insert(name);
                }
                continue;
            }
            match self.values.get(&name) {
                Some(existing) if *existing != value => return Err(ParamsError::Duplicate(name)),
                Some(_) => {}
                None if self.values.len() >= MAX_PARAMS => return Err(ParamsError::TooMany),
                None => {
                    self.values.insert(name, value);
                }
            }
        }
        Ok(())
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A parameter's value, `""` when it was sent empty, `None` when it was
    /// not sent at all.
    pub fn given(&self, name: &str) -> Option<&str> {
        self.get(name).or_else(|| self.blank.contains(name).then_some(""))
    }

    /// Removes and returns a parameter.
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }
}

/// Whether `text` is free of control characters: C0 except tab, line feed
/// and carriage return (which multi-line form fields legitimately send), and DEL.
pub fn is_clean(text: &str) -> bool {
    !text.chars().any(|c| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Decodes one component of a URL-encoded string (`+` is a space, then
/// percent-decoding), refusing what `url::form_urlencoded::parse` would
/// silently replace with U+FFFD (invalid UTF-8) and control characters.
/// A `%` not followed by two hex digits stays as it is, as in that parser.
pub fn decode_component(raw: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(decoded).ok().filter(|text| is_clean(text))
}

/// The pairs of an `application/x-www-form-urlencoded` string, strictly decoded.
fn form_pairs(input: &[u8]) -> impl Iterator<Item = Result<(String, String), ParamsError>> + '_ {
    input.split(|&b| b == b'&').filter(|pair| !pair.is_empty()).map(|pair| {
        let mut parts = pair.splitn(2, |&b| b == b'=');
        let raw_name = parts.next().unwrap_or_default();
        let raw_value = parts.next().unwrap_or_default();
        let bad = || ParamsError::BadBytes(printable(&percent_encoding::percent_decode(raw_name).collect::<Vec<u8>>()));
        let name = decode_component(raw_name).ok_or_else(bad)?;
        let value = decode_component(raw_value).ok_or_else(bad)?;
        Ok((name, value))
    })
}

/// A parameter name fit for an error message: lossily decoded, control
/// characters replaced, cut to [`MAX_NAME_LEN`] characters.
fn printable(name: &[u8]) -> String {
    String::from_utf8_lossy(name)
        .chars()
        .map(|c| if c.is_control() { char::REPLACEMENT_CHARACTER } else { c })
        .take(MAX_NAME_LEN)
        .collect()
}

/// A flat JSON object of strings, numbers and booleans, as some of the
/// platform's clients post to the token endpoint.
fn json_pairs(body: &[u8]) -> Result<Vec<(String, String)>, ParamsError> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|_| ParamsError::Malformed("expected a JSON object".to_owned()))?;
    if object.len() > MAX_PARAMS {
        return Err(ParamsError::TooMany);
    }
    object
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, value)| match value {
            serde_json::Value::String(s) => Ok((name, s)),
            serde_json::Value::Number(n) => Ok((name, n.to_string())),
            serde_json::Value::Bool(b) => Ok((name, b.to_string())),
            _ => Err(ParamsError::Malformed(format!("`{name}` must be a string"))),
        })
        .collect()
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ParamsError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut params = Params::from_query(request.uri().query())?;
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = Bytes::from_request(request, state).await.map_err(|_| ParamsError::BodyTooLarge)?;
        params.extend_from_body(content_type.as_deref(), &body)?;
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_merge_and_empty_values_are_absent() {
        let mut params = Params::from_query(Some("grant_type=password&scope=&client_id=a")).unwrap();
        params.extend_from_body(Some("application/x-www-form-urlencoded; charset=utf-8"), b"username=x%40y.z").unwrap();

        assert_eq!(params.get("grant_type"), Some("password"));
        assert_eq!(params.get("username"), Some("x@y.z"));
        assert_eq!(params.get("scope"), None);
    }

    #[test]
    fn a_parameter_sent_empty_is_absent_yet_given() {
        let mut params = Params::from_query(Some("bio=&name=Ann")).unwrap();
        params.extend_from_body(Some("application/json"), br#"{"blog":"","weibo":null}"#).unwrap();

        assert_eq!((params.get("bio"), params.given("bio")), (None, Some("")));
        assert_eq!(params.given("blog"), Some(""));
        assert_eq!(params.given("name"), Some("Ann"));
        assert_eq!(params.given("weibo"), None, "JSON null is not sent");
        assert_eq!(params.given("other"), None);
    }

    #[test]
    fn conflicting_duplicates_are_refused_and_equal_ones_kept() {
        assert_eq!(Params::from_query(Some("a=1&a=2")).unwrap_err(), ParamsError::Duplicate("a".into()));
        assert_eq!(Params::from_query(Some("a=1&a=1")).unwrap().get("a"), Some("1"));
    }

    #[test]
    fn json_bodies_are_read() {
        let mut params = Params::default();
        params.extend_from_body(Some("application/json"), br#"{"grant_type":"password","n":5}"#).unwrap();
        assert_eq!(params.get("n"), Some("5"));
        assert!(matches!(
            params.extend_from_body(Some("application/json"), b"{\"a\":{}}"),
            Err(ParamsError::Malformed(_))
        ));
    }

    #[test]
    fn limits_are_enforced() {
        let long = format!("a={}", "x".repeat(MAX_VALUE_LEN + 1));
        assert_eq!(Params::from_query(Some(&long)).unwrap_err(), ParamsError::TooLong("a".into()));
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert_eq!(Params::from_query(Some(&many.join("&"))).unwrap_err(), ParamsError::TooMany);
        assert_eq!(
            Params::default().extend_from_body(Some("text/plain"), b"hi"),
            Err(ParamsError::UnsupportedMediaType)
        );
    }

    fn bad(name: &str) -> ParamsError {
        ParamsError::BadBytes(name.into())
    }

    #[test]
    fn nul_and_control_characters_are_refused_in_values_and_names() {
        for query in ["a=%00", "a=x%00y", "a=%01", "a=%1F", "a=%7F", "a=%1B[31m"] {
            assert_eq!(Params::from_query(Some(query)).unwrap_err(), bad("a"), "{query}");
        }
        assert_eq!(Params::from_query(Some("%00=1")).unwrap_err(), bad("\u{FFFD}"));
        assert_eq!(Params::from_query(Some("a%07b=1")).unwrap_err(), bad("a\u{FFFD}b"));
    }

    #[test]
    fn tab_line_feed_and_carriage_return_are_text() {
        let params = Params::from_query(Some("d=one%0D%0Atwo%09three")).unwrap();
        assert_eq!(params.get("d"), Some("one\r\ntwo\tthree"));
    }

    #[test]
    fn invalid_utf8_after_percent_decoding_is_refused_not_replaced() {
        // A stray byte, an overlong `/`, an encoded surrogate, a truncated sequence.
        for query in ["a=%FF", "a=%C0%AF", "a=%ED%A0%80", "a=%E2%82"] {
            assert_eq!(Params::from_query(Some(query)).unwrap_err(), bad("a"), "{query}");
        }
        assert_eq!(Params::from_query(Some("a=%E2%82%AC")).unwrap().get("a"), Some("\u{20AC}"));
    }

    #[test]
    fn raw_bytes_in_a_form_body_are_checked_too() {
        let form = Some("application/x-www-form-urlencoded");
        for body in [&b"a=\xff"[..], b"a=\x00", b"a=x\x7f", b"a=1&b=\xc3"] {
            assert!(matches!(Params::default().extend_from_body(form, body), Err(ParamsError::BadBytes(_))));
        }
    }

    #[test]
    fn json_strings_with_control_characters_are_refused() {
        let json = Some("application/json");
        assert_eq!(Params::default().extend_from_body(json, br#"{"a":"x\u0000"}"#), Err(bad("a")));
        assert_eq!(Params::default().extend_from_body(json, br#"{"a\u0001":"x"}"#), Err(bad("a\u{FFFD}")));
        // serde_json itself refuses a lone surrogate.
        assert!(matches!(
            Params::default().extend_from_body(json, br#"{"a":"\ud800"}"#),
            Err(ParamsError::Malformed(_))
        ));
    }

    #[test]
    fn odd_but_valid_encodings_decode_as_the_url_standard_says() {
        let params = Params::from_query(Some("a=%&b=%zz&c=x+y&d=%2B&&=v&e")).unwrap();
        assert_eq!(params.get("a"), Some("%"));
        assert_eq!(params.get("b"), Some("%zz"));
        assert_eq!(params.get("c"), Some("x y"));
        assert_eq!(params.get("d"), Some("+"));
        assert_eq!(params.get("e"), None);
    }
}
