//! Request parameters from the query string and the body together (SPEC §1.1:
//! "accepted in the form body and in the query string"; §2: also JSON), with
//! explicit limits on their number and length.

use std::collections::BTreeMap;

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
    /// A body of a type other than form or JSON.
    #[error("the request body must be application/x-www-form-urlencoded or application/json")]
    UnsupportedMediaType,
}

/// The merged parameters. Empty values count as absent (RFC 6749 §3.1:
/// "Parameters sent without a value MUST be treated as if they were omitted").
#[derive(Debug, Clone, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses a query string.
    pub fn from_query(query: Option<&str>) -> Result<Params, ParamsError> {
        let mut params = Params::default();
        if let Some(query) = query {
            params
                .extend(url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())))?;
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
            Some("application/x-www-form-urlencoded") => {
                self.extend(url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())))
            }
            Some("application/json") => self.extend(json_pairs(body)?),
            _ => Err(ParamsError::UnsupportedMediaType),
        }
    }

    fn extend(&mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Result<(), ParamsError> {
        for (name, value) in pairs {
            if name.len() > MAX_NAME_LEN {
                return Err(ParamsError::TooLong(name.chars().take(MAX_NAME_LEN).collect()));
            }
            if value.len() > MAX_VALUE_LEN {
                return Err(ParamsError::TooLong(name));
            }
            if value.is_empty() {
                continue;
            }
            match self.0.get(&name) {
                Some(existing) if *existing != value => return Err(ParamsError::Duplicate(name)),
                Some(_) => {}
                None if self.0.len() >= MAX_PARAMS => return Err(ParamsError::TooMany),
                None => {
                    self.0.insert(name, value);
                }
            }
        }
        Ok(())
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Removes and returns a parameter.
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }
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
}
