//! Developer applications: the registration rules shared by the CLI and the
//! settings pages (SPEC §1.8).

use crate::clock::UnixTime;
use crate::domain::client::{Client, ClientPk, NewClient};
use crate::domain::oidc::SigningAlg;
use crate::domain::redirect_uri::{self, RedirectUriError};
use crate::domain::scope::{ScopeError, ScopeSet};
use crate::domain::token::{PlainSecret, SecretKind, generate_client_id};
use crate::domain::user::UserId;
use crate::store::{ClientUpdate, Store, StoreError};

/// Most callback URLs one application may register.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Longest application name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// An application as a developer describes it.
#[derive(Debug, Clone, Default)]
pub struct ApplicationForm {
    /// Display name.
    pub name: String,
    /// Homepage URL; empty for none.
    pub homepage: String,
    /// Free text.
    pub description: String,
    /// One or more callback URLs.
    pub redirect_uris: Vec<String>,
    /// The scopes it may request, as typed (`"user_info projects"`).
    pub scopes: String,
    /// A public client (native or browser app): no secret, PKCE required.
    pub public: bool,
    /// The algorithm its ID tokens are signed with (`RS256`, `ES256` or
    /// `EdDSA`); empty for the default, `RS256`.
    pub id_token_alg: String,
    /// Where `/oauth/logout` may send the browser afterwards; none or more.
    pub post_logout_redirect_uris: Vec<String>,
}

/// Why an application could not be registered; messages are for the developer.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    /// Empty or too long.
    #[error("Application name must be 1 to {MAX_NAME_CHARS} characters")]
    Name,
    /// Too long.
    #[error("Description must be at most {MAX_DESCRIPTION_CHARS} characters")]
    Description,
    /// Not an http(s) URL.
    #[error("Homepage URL must be an http or https URL")]
    Homepage,
    /// None or too many.
    #[error("Give 1 to {MAX_REDIRECT_URIS} callback URLs")]
    RedirectUriCount,
    /// One callback URL is refused.
    #[error("{0}")]
    RedirectUri(#[from] RedirectUriError),
    /// An unknown scope.
    #[error("{0}")]
    Scope(#[from] ScopeError),
    /// No scope at all.
    #[error("Choose at least one scope")]
    NoScopes,
    /// Too many sign-out URLs, or one is refused (the rules of callbacks).
    #[error(
        "Sign-out URLs: give at most {MAX_REDIRECT_URIS}, each an absolute https URL without a fragment (http only on 127.0.0.1, [::1] or localhost)"
    )]
    PostLogoutRedirectUri,
    /// Not one of the algorithms Gatehouse signs ID tokens with.
    #[error("ID token signing algorithm must be RS256, ES256 or EdDSA")]
    IdTokenAlg,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A registered application and, for a confidential one, its secret in the
/// clear: shown once, never stored.
#[derive(Debug)]
pub struct Registered {
    /// The stored application.
    pub client: Client,
    /// The secret, for a confidential client.
    pub secret: Option<PlainSecret>,
}

/// Validates a form and registers the application for `owner_id`.
pub async fn register(
    store: &dyn Store,
    owner_id: UserId,
    form: &ApplicationForm,
    allow_http_callbacks: bool,
    now: UnixTime,
) -> Result<Registered, ApplicationError> {
    let new = validate(form, allow_http_callbacks)?;
    let secret = (!form.public).then(|| PlainSecret::generate(SecretKind::ClientSecret));
    let client = NewClient {
        client_id: generate_client_id(),
        secret_hash: secret.as_ref().map(PlainSecret::hash),
        secret_hint: secret.as_ref().map(PlainSecret::hint),
        owner_id,
        ..new
    };
    let client = store.insert_client(&client, now).await?;
    Ok(Registered { client, secret })
}

/// Changes an application its owner edited; `None` unless `owner_id` owns it.
pub async fn update(
    store: &dyn Store,
    owner_id: UserId,
    client_pk: ClientPk,
    form: &ApplicationForm,
    allow_http_callbacks: bool,
    now: UnixTime,
) -> Result<Option<Client>, ApplicationError> {
    let valid = validate(form, allow_http_callbacks)?;
    let update = ClientUpdate {
        name: valid.name,
        homepage: valid.homepage,
        description: valid.description,
        redirect_uris: valid.redirect_uris,
        scopes: valid.scopes,
        id_token_alg: valid.id_token_alg,
        post_logout_redirect_uris: valid.post_logout_redirect_uris,
    };
    Ok(store.update_client(client_pk, owner_id, &update, now).await?)
}

/// Gives a confidential application a new secret; the old one stops working
/// at once. `None` unless `owner_id` owns it and it has a secret.
pub async fn reset_secret(
    store: &dyn Store,
    owner_id: UserId,
    client_pk: ClientPk,
    now: UnixTime,
) -> Result<Option<PlainSecret>, StoreError> {
    let secret = PlainSecret::generate(SecretKind::ClientSecret);
    let changed = store.reset_client_secret(client_pk, owner_id, &secret.hash(), &secret.hint(), now).await?;
    Ok(changed.then_some(secret))
}

/// Checks every field; the id, secret and owner are left blank for the caller.
fn validate(form: &ApplicationForm, allow_http_callbacks: bool) -> Result<NewClient, ApplicationError> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApplicationError::Name);
    }
    if form.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApplicationError::Description);
    }
    let homepage = form.homepage.trim();
    if !homepage.is_empty() && !is_web_url(homepage) {
        return Err(ApplicationError::Homepage);
    }
    let uris: Vec<&str> = form.redirect_uris.iter().map(|u| u.trim()).filter(|u| !u.is_empty()).collect();
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err(ApplicationError::RedirectUriCount);
    }
    let redirect_uris = uris
        .into_iter()
        .map(|u| redirect_uri::validate_for_registration(u, allow_http_callbacks))
        .collect::<Result<Vec<_>, _>>()?;
    let scopes = ScopeSet::parse(&form.scopes)?;
    if scopes.is_empty() {
        return Err(ApplicationError::NoScopes);
    }
    let post_logout_redirect_uris = validate_sign_out_urls(&form.post_logout_redirect_uris, allow_http_callbacks)?;
    let id_token_alg = match form.id_token_alg.trim() {
        "" => SigningAlg::default(),
        name => SigningAlg::parse(name).ok_or(ApplicationError::IdTokenAlg)?,
    };
    Ok(NewClient {
        client_id: String::new(),
        secret_hash: None,
        secret_hint: None,
        owner_id: UserId(0),
        name: name.to_owned(),
        homepage: homepage.to_owned(),
        description: form.description.clone(),
        redirect_uris,
        scopes,
        id_token_alg,
        post_logout_redirect_uris,
    })
}

/// Sign-out URLs follow the rules of callbacks (they too receive a browser
/// sent by Gatehouse), but an application may have none.
fn validate_sign_out_urls(urls: &[String], allow_http: bool) -> Result<Vec<String>, ApplicationError> {
    let urls: Vec<&str> = urls.iter().map(|u| u.trim()).filter(|u| !u.is_empty()).collect();
    if urls.len() > MAX_REDIRECT_URIS {
        return Err(ApplicationError::PostLogoutRedirectUri);
    }
    urls.into_iter()
        .map(|u| redirect_uri::validate_for_registration(u, allow_http))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApplicationError::PostLogoutRedirectUri)
}

fn is_web_url(raw: &str) -> bool {
    raw.len() <= redirect_uri::MAX_LEN
        && url::Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ApplicationForm {
        ApplicationForm {
            name: "My App".into(),
            homepage: "https://app.example.com".into(),
            description: "<b>hi</b>".into(),
            redirect_uris: vec!["https://app.example.com/cb".into()],
            scopes: "user_info projects".into(),
            public: false,
            id_token_alg: String::new(),
            post_logout_redirect_uris: vec![],
        }
    }

    #[test]
    fn a_good_form_validates_and_keeps_text_as_typed() {
        let client = validate(&form(), false).unwrap();
        assert_eq!(client.description, "<b>hi</b>");
        assert_eq!(client.scopes.to_string(), "user_info projects");
        assert_eq!(client.id_token_alg, SigningAlg::Rs256, "the default");
        assert!(client.post_logout_redirect_uris.is_empty(), "sign-out URLs are optional");
        let with_sign_out =
            ApplicationForm { post_logout_redirect_uris: vec![" https://app.example.com/bye ".into()], ..form() };
        assert_eq!(validate(&with_sign_out, false).unwrap().post_logout_redirect_uris, ["https://app.example.com/bye"]);
    }

    #[test]
    fn the_id_token_algorithm_is_one_gatehouse_signs_with() {
        for (name, expected) in
            [("ES256", Some(SigningAlg::Es256)), ("EdDSA", Some(SigningAlg::EdDsa)), ("HS256", None)]
        {
            let got = validate(&ApplicationForm { id_token_alg: name.into(), ..form() }, false).map(|c| c.id_token_alg);
            assert_eq!(got.ok(), expected, "{name}");
        }
    }

    #[test]
    fn bad_fields_are_named() {
        type Change = fn(&mut ApplicationForm);
        let cases: [(Change, &str); 9] = [
            (|f| f.name = " ".into(), "Application name"),
            (|f| f.homepage = "javascript:alert(1)".into(), "Homepage"),
            (|f| f.redirect_uris.clear(), "callback URLs"),
            (
                |f| f.redirect_uris = (0..11).map(|i| format!("https://a.example/{i}")).collect(),
                "1 to 10 callback URLs",
            ),
            (|f| f.redirect_uris = vec!["data:text/html,x".into()], "scheme `data`"),
            (|f| f.scopes = "admin".into(), "unknown scope"),
            (|f| f.id_token_alg = "none".into(), "ID token signing algorithm"),
            (|f| f.post_logout_redirect_uris = vec!["http://app.example.com/bye".into()], "Sign-out URLs"),
            (
                |f| f.post_logout_redirect_uris = (0..11).map(|i| format!("https://a.example/{i}")).collect(),
                "Sign-out URLs",
            ),
        ];
        for (change, message) in cases {
            let mut f = form();
            change(&mut f);
            let error = validate(&f, false).unwrap_err().to_string();
            assert!(error.contains(message), "{error}");
        }
    }
}
