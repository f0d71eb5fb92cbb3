//! `response_mode` (OAuth 2.0 Multiple Response Type Encoding Practices
//! §2.1, Form Post Response Mode §2): how an authorization response reaches
//! the client's callback.

/// `response_mode` (OAuth 2.0 Multiple Response Type Encoding Practices §2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResponseMode {
    /// Parameters in the callback's query string.
    #[default]
    Query,
    /// An auto-submitting form POSTs the parameters to the callback.
    FormPost,
}

impl ResponseMode {
    /// The modes a request may name. `fragment` is refused: it exists for
    /// responses that return tokens, which Gatehouse never sends to a
    /// browser.
    pub fn parse(raw: Option<&str>) -> Result<ResponseMode, &'static str> {
        match raw {
            None | Some("" | "query") => Ok(ResponseMode::Query),
            Some("form_post") => Ok(ResponseMode::FormPost),
            Some(_) => Err("response_mode must be query or form_post"),
        }
    }

    /// As stored with a parked request: `None` for the default.
    pub fn stored(self) -> Option<&'static str> {
        match self {
            ResponseMode::Query => None,
            ResponseMode::FormPost => Some("form_post"),
        }
    }

    /// Reads a stored mode back.
    pub fn from_stored(stored: Option<&str>) -> ResponseMode {
        match stored {
            Some("form_post") => ResponseMode::FormPost,
            _ => ResponseMode::Query,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_form_post_are_the_modes_and_others_are_refused() {
        assert_eq!(ResponseMode::parse(None), Ok(ResponseMode::Query));
        assert_eq!(ResponseMode::parse(Some("query")), Ok(ResponseMode::Query));
        assert_eq!(ResponseMode::parse(Some("form_post")), Ok(ResponseMode::FormPost));
        assert!(ResponseMode::parse(Some("fragment")).is_err());
        assert!(ResponseMode::parse(Some("FORM_POST")).is_err());
        for mode in [ResponseMode::Query, ResponseMode::FormPost] {
            assert_eq!(ResponseMode::from_stored(mode.stored()), mode);
        }
    }
}
