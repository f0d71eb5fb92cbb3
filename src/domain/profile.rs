//! The public profile a user edits (SPEC §7 "Profile"): the fields the
//! platform's `PATCH /v5/user` changes (`name`, `blog`, `weibo`, `bio`) and
//! the rule each keeps. The settings page calls `blog` "Website".

use crate::domain::user::User;

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 50;
/// Longest bio, in characters (GitHub's limit).
pub const MAX_BIO_CHARS: usize = 160;
/// Longest website URL, in characters.
pub const MAX_WEBSITE_CHARS: usize = 255;
/// Longest Weibo handle or address, in characters.
pub const MAX_WEIBO_CHARS: usize = 100;

/// Why a profile field was refused; the message is for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// Empty, too long, or more than one line.
    #[error("Name must be 1 to {MAX_NAME_CHARS} characters on one line")]
    Name,
    /// Too long, or holds control characters other than line breaks.
    #[error("Bio must be at most {MAX_BIO_CHARS} characters")]
    Bio,
    /// Not an http(s) URL, or too long.
    #[error("Website must be an http or https URL of at most {MAX_WEBSITE_CHARS} characters, or empty")]
    Website,
    /// Too long, or more than one line.
    #[error("Weibo must be at most {MAX_WEIBO_CHARS} characters on one line")]
    Weibo,
}

impl ProfileError {
    /// The field's wire name, as `GET /api/v5/user` shows it.
    pub fn field(self) -> &'static str {
        match self {
            ProfileError::Name => "name",
            ProfileError::Bio => "bio",
            ProfileError::Website => "blog",
            ProfileError::Weibo => "weibo",
        }
    }
}

/// A change to some fields of a profile, as typed (`None`: leave it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChange {
    /// Display name.
    pub name: Option<String>,
    /// Free text about the user.
    pub bio: Option<String>,
    /// The website (`blog` on the wire).
    pub blog: Option<String>,
    /// A Weibo handle or address.
    pub weibo: Option<String>,
}

impl ProfileChange {
    /// The change with every given field checked and normalised (trimmed;
    /// a bio's `\r\n` becomes `\n`), or every field that failed its rule, in
    /// field order.
    pub fn validate(&self) -> Result<ProfileChange, Vec<ProfileError>> {
        let mut errors = Vec::new();
        let mut check = |value: &Option<String>, rule: fn(&str) -> Result<String, ProfileError>| {
            value.as_deref().map(rule).transpose().unwrap_or_else(|error| {
                errors.push(error);
                None
            })
        };
        let valid = ProfileChange {
            name: check(&self.name, name),
            bio: check(&self.bio, bio),
            blog: check(&self.blog, website),
            weibo: check(&self.weibo, weibo),
        };
        if errors.is_empty() { Ok(valid) } else { Err(errors) }
    }

    /// Whether applying the change to `user` would alter anything.
    pub fn alters(&self, user: &User) -> bool {
        let differs = |new: &Option<String>, old: &str| new.as_deref().is_some_and(|new| new != old);
        differs(&self.name, &user.name)
            || differs(&self.bio, &user.bio)
            || differs(&self.blog, &user.blog)
            || differs(&self.weibo, &user.weibo)
    }
}

/// One line of text: no control character at all.
fn one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

fn name(raw: &str) -> Result<String, ProfileError> {
    let name = raw.trim();
    let fits = (1..=MAX_NAME_CHARS).contains(&name.chars().count());
    if fits && one_line(name) { Ok(name.to_owned()) } else { Err(ProfileError::Name) }
}

fn bio(raw: &str) -> Result<String, ProfileError> {
    let bio = raw.trim().replace("\r\n", "\n");
    let clean = !bio.chars().any(|c| c.is_control() && c != '\n');
    if clean && bio.chars().count() <= MAX_BIO_CHARS { Ok(bio) } else { Err(ProfileError::Bio) }
}

/// Empty, or an absolute `http`/`https` URL with a host and without a user
/// name or password (which only ever serve to disguise where a link goes).
fn website(raw: &str) -> Result<String, ProfileError> {
    let url = raw.trim();
    if url.is_empty() {
        return Ok(String::new());
    }
    let valid = url.chars().count() <= MAX_WEBSITE_CHARS
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.username().is_empty()
                && u.password().is_none()
        });
    if valid { Ok(url.to_owned()) } else { Err(ProfileError::Website) }
}

fn weibo(raw: &str) -> Result<String, ProfileError> {
    let weibo = raw.trim();
    if weibo.chars().count() <= MAX_WEIBO_CHARS && one_line(weibo) {
        Ok(weibo.to_owned())
    } else {
        Err(ProfileError::Weibo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(field: &str, value: &str) -> ProfileChange {
        let value = Some(value.to_owned());
        match field {
            "name" => ProfileChange { name: value, ..ProfileChange::default() },
            "bio" => ProfileChange { bio: value, ..ProfileChange::default() },
            "blog" => ProfileChange { blog: value, ..ProfileChange::default() },
            _ => ProfileChange { weibo: value, ..ProfileChange::default() },
        }
    }

    #[test]
    fn each_field_keeps_its_rule() {
        let long = |n: usize| "é".repeat(n);
        let cases = [
            ("name", "  Ann Lee ", Ok("Ann Lee".to_owned())),
            ("name", "李 雷", Ok("李 雷".to_owned())),
            ("name", &long(MAX_NAME_CHARS), Ok(long(MAX_NAME_CHARS))),
            ("name", "", Err(ProfileError::Name)),
            ("name", "   ", Err(ProfileError::Name)),
            ("name", &long(MAX_NAME_CHARS + 1), Err(ProfileError::Name)),
            ("name", "two\nlines", Err(ProfileError::Name)),
            ("name", "tab\there", Err(ProfileError::Name)),
            ("bio", "", Ok("".to_owned())),
            ("bio", "line one\r\nline two", Ok("line one\nline two".to_owned())),
            ("bio", &long(MAX_BIO_CHARS), Ok(long(MAX_BIO_CHARS))),
            ("bio", &long(MAX_BIO_CHARS + 1), Err(ProfileError::Bio)),
            ("bio", "bell\u{7}", Err(ProfileError::Bio)),
            ("blog", "", Ok("".to_owned())),
            ("blog", " https://ann.example/blog ", Ok("https://ann.example/blog".to_owned())),
            ("blog", "http://127.0.0.1:8080/", Ok("http://127.0.0.1:8080/".to_owned())),
            ("blog", "javascript:alert(1)", Err(ProfileError::Website)),
            ("blog", "data:text/html,hi", Err(ProfileError::Website)),
            ("blog", "ann.example", Err(ProfileError::Website)),
            ("blog", "https://user:pw@evil.example", Err(ProfileError::Website)),
            ("blog", "https://a.example/x y", Err(ProfileError::Website)),
            ("blog", &format!("https://a.example/{}", "x".repeat(MAX_WEBSITE_CHARS)), Err(ProfileError::Website)),
            ("weibo", "@ann", Ok("@ann".to_owned())),
            ("weibo", "two\nlines", Err(ProfileError::Weibo)),
            ("weibo", &long(MAX_WEIBO_CHARS + 1), Err(ProfileError::Weibo)),
        ];
        for (field, raw, expected) in cases {
            let got = only(field, raw).validate();
            let value = |change: ProfileChange| match field {
                "name" => change.name,
                "bio" => change.bio,
                "blog" => change.blog,
                _ => change.weibo,
            };
            match expected {
                Ok(want) => assert_eq!(got.map(value), Ok(Some(want)), "{field}: {raw:?}"),
                Err(error) => assert_eq!(got, Err(vec![error]), "{field}: {raw:?}"),
            }
        }
    }

    #[test]
    fn every_refused_field_is_reported_in_field_order_and_absent_ones_stay_absent() {
        let change = ProfileChange {
            name: Some(String::new()),
            bio: None,
            blog: Some("ftp://x.example".into()),
            weibo: Some("ok".into()),
        };
        assert_eq!(change.validate(), Err(vec![ProfileError::Name, ProfileError::Website]));
        assert_eq!(ProfileChange::default().validate(), Ok(ProfileChange::default()));
        let fields: Vec<_> = [ProfileError::Name, ProfileError::Bio, ProfileError::Website, ProfileError::Weibo]
            .map(ProfileError::field)
            .into();
        assert_eq!(fields, ["name", "bio", "blog", "weibo"]);
    }

    #[test]
    fn a_change_alters_a_user_only_where_a_given_field_differs() {
        let user = User {
            id: crate::domain::user::UserId(1),
            login: "ann".into(),
            name: "Ann".into(),
            email: "ann@example.com".into(),
            email_verified: false,
            bio: String::new(),
            blog: String::new(),
            weibo: String::new(),
            created_at: 0,
            updated_at: 0,
            admin: false,
        };
        assert!(!ProfileChange::default().alters(&user));
        assert!(
            !ProfileChange { name: Some("Ann".into()), bio: Some(String::new()), ..Default::default() }.alters(&user)
        );
        assert!(ProfileChange { bio: Some("hi".into()), ..Default::default() }.alters(&user));
    }
}
