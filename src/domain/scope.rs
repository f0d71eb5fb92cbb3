//! The platform's named scopes and OpenID Connect's, and sets of them (seed:
//! "Scope represents the permission range"; RFC 6749 §3.3; OIDC Core §5.4).

use std::collections::BTreeSet;
use std::fmt;

/// One permission an application may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// `user_info`
    UserInfo,
    /// `projects`
    Projects,
    /// `pull_requests`
    PullRequests,
    /// `issues`
    Issues,
    /// `notes`
    Notes,
    /// `keys`
    Keys,
    /// `hook`
    Hook,
    /// `groups`
    Groups,
    /// `gists`
    Gists,
    /// `enterprises`
    Enterprises,
    /// `emails`: carried by the platform's real token responses.
    Emails,
    /// `openid`: an OpenID Connect request; the grant returns an ID token
    /// and opens `/oauth/userinfo` (OIDC Core §3.1.2.1).
    OpenId,
    /// `profile`: the ID token and UserInfo carry the profile claims (OIDC Core §5.4).
    Profile,
    /// `email`: the ID token and UserInfo carry `email` and `email_verified`.
    Email,
}

impl Scope {
    /// Every scope: the platform's, in the order it lists them, then OpenID Connect's.
    pub const ALL: [Scope; 14] = [
        Scope::UserInfo,
        Scope::Projects,
        Scope::PullRequests,
        Scope::Issues,
        Scope::Notes,
        Scope::Keys,
        Scope::Hook,
        Scope::Groups,
        Scope::Gists,
        Scope::Enterprises,
        Scope::Emails,
        Scope::OpenId,
        Scope::Profile,
        Scope::Email,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::UserInfo => "user_info",
            Scope::Projects => "projects",
            Scope::PullRequests => "pull_requests",
            Scope::Issues => "issues",
            Scope::Notes => "notes",
            Scope::Keys => "keys",
            Scope::Hook => "hook",
            Scope::Groups => "groups",
            Scope::Gists => "gists",
            Scope::Enterprises => "enterprises",
            Scope::Emails => "emails",
            Scope::OpenId => "openid",
            Scope::Profile => "profile",
            Scope::Email => "email",
        }
    }

    /// What the scope lets an application do, in words for the consent page.
    pub fn description(self) -> &'static str {
        match self {
            Scope::UserInfo => "Read your profile: name, login, avatar and public details",
            Scope::Projects => "Read and manage your repositories",
            Scope::PullRequests => "Read and manage your pull requests",
            Scope::Issues => "Read and manage your issues",
            Scope::Notes => "Read and write comments on your behalf",
            Scope::Keys => "Read and manage your public SSH keys",
            Scope::Hook => "Read and manage your repositories' webhooks",
            Scope::Groups => "Read and manage your organizations",
            Scope::Gists => "Read and manage your code snippets (gists)",
            Scope::Enterprises => "Read and manage your enterprises",
            Scope::Emails => "Read your email addresses",
            Scope::OpenId => "Sign you in with your account and learn your user id",
            Scope::Profile => "Read your name, username, avatar, profile and website",
            Scope::Email => "Read your primary email address",
        }
    }

    /// Parses one wire name.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a scope string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// A name that is not one of the platform's scopes.
    #[error("unknown scope `{0}`")]
    Unknown(String),
    /// More names than [`MAX_SCOPE_NAMES`], counting repeats.
    #[error("too many scope names (at most {MAX_SCOPE_NAMES})")]
    TooMany,
}

/// The most scope names one parameter may carry, repeats included.
pub const MAX_SCOPE_NAMES: usize = 32;

/// A set of scopes: order and duplicates never matter (seed: the consent page is
/// skipped for the same set "in any order or encoding").
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses a scope parameter. Names are separated by spaces (RFC 6749 §3.3),
    /// and also by `+`, `%20` and commas, which the platform's clients send.
    /// An empty string is the empty set.
    pub fn parse(raw: &str) -> Result<ScopeSet, ScopeError> {
        let normalized = raw.replace("%20", " ");
        let mut set = BTreeSet::new();
        let names =
            normalized.split(|c: char| c.is_ascii_whitespace() || c == '+' || c == ',').filter(|n| !n.is_empty());
        for (count, name) in names.enumerate() {
            if count >= MAX_SCOPE_NAMES {
                return Err(ScopeError::TooMany);
            }
            let scope = Scope::parse(name).ok_or_else(|| ScopeError::Unknown(truncate(name)))?;
            set.insert(scope);
        }
        Ok(ScopeSet(set))
    }

    /// Whether the set holds `scope`.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in the platform's order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().collect())
    }
}

/// The canonical form: space-separated, in the platform's order.
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

/// Keeps error messages short when a client sends a huge unknown name.
fn truncate(name: &str) -> String {
    name.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_of_the_same_set_is_equal() {
        let canonical = ScopeSet::parse("user_info projects pull_requests").unwrap();
        for raw in [
            "pull_requests user_info projects",
            "user_info%20projects%20pull_requests",
            "user_info+projects+pull_requests",
            "user_info,projects,pull_requests",
            "  user_info projects projects pull_requests ",
        ] {
            assert_eq!(ScopeSet::parse(raw).unwrap(), canonical, "{raw}");
        }
        assert_eq!(canonical.to_string(), "user_info projects pull_requests");
    }

    #[test]
    fn all_platform_scopes_parse() {
        let raw = "user_info projects pull_requests issues notes keys hook groups gists enterprises emails";
        assert_eq!(ScopeSet::parse(raw).unwrap().iter().count(), 11);
    }

    #[test]
    fn openid_connect_scopes_live_beside_the_platforms() {
        let set = ScopeSet::parse("openid profile email user_info").unwrap();
        assert!(set.contains(Scope::OpenId) && set.contains(Scope::Profile) && set.contains(Scope::Email));
        assert_eq!(set.to_string(), "user_info openid profile email");
        assert_eq!(ScopeSet::parse("email emails").unwrap().iter().count(), 2, "`email` is not `emails`");
    }

    #[test]
    fn unknown_scope_is_refused() {
        assert_eq!(ScopeSet::parse("user_info admin"), Err(ScopeError::Unknown("admin".into())));
    }

    #[test]
    fn a_flood_of_names_is_refused() {
        assert_eq!(ScopeSet::parse(&"user_info ".repeat(33)), Err(ScopeError::TooMany));
        assert!(ScopeSet::parse(&"user_info ".repeat(32)).is_ok());
    }

    #[test]
    fn empty_string_is_empty_set() {
        assert!(ScopeSet::parse(" ").unwrap().is_empty());
    }
}
