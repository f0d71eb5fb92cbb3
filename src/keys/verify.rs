//! Reading back an ID token this server signed, as an `id_token_hint` at
//! the authorization endpoint (OIDC Core §3.1.2.1) or at sign-out (OIDC
//! RP-Initiated Logout §2). The signature is checked with the published
//! key its `kid` names, retired ones included; expiry is not checked, since
//! "the ID Token … MAY have expired" (RP-Initiated Logout §2): a hint only
//! names a user, it grants nothing.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;

use super::{Keyring, is_published, material};
use crate::clock::UnixTime;
use crate::store::StoreError;

/// What a hint tells: who, and for which applications.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssuedIdToken {
    /// The user's id, as a decimal string.
    pub sub: String,
    /// The client ids it was issued to.
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
}

impl Keyring {
    /// The claims of `token` if this server (`issuer`) signed it with a key
    /// published at `now`; `None` for anything else (malformed, unknown
    /// `kid`, another algorithm than the key's, a bad signature, another
    /// issuer). Errors are storage faults only.
    pub async fn verify_issued(
        &self,
        token: &str,
        issuer: &str,
        now: UnixTime,
    ) -> Result<Option<IssuedIdToken>, StoreError> {
        let Ok(header) = jsonwebtoken::decode_header(token) else { return Ok(None) };
        let Some(kid) = header.kid else { return Ok(None) };
        let keys = self.store.list_signing_keys().await?;
        let Some(record) = keys.iter().find(|k| k.kid == kid && is_published(k, now)) else { return Ok(None) };
        if material::jose_alg(record.alg) != header.alg {
            return Ok(None);
        }
        let key = serde_json::from_str::<Jwk>(&record.public_jwk).ok().and_then(|jwk| DecodingKey::from_jwk(&jwk).ok());
        let Some(key) = key else {
            tracing::error!(kid = %record.kid, "a stored public JWK does not parse; hint refused");
            return Ok(None);
        };
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.set_required_spec_claims(&["iss", "sub", "aud"]);
        validation.set_issuer(&[issuer]);
        Ok(jsonwebtoken::decode::<IssuedIdToken>(token, &key, &validation).ok().map(|data| data.claims))
    }
}

/// `aud` is one string or an array of them (RFC 7519 §4.1.3).
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}
