//! Key material: new key pairs from aws-lc-rs (RSA 2048, P-256, Ed25519) as
//! PKCS#8 PEM, their public JWKs and RFC 7638 thumbprints, and the
//! `jsonwebtoken` signing keys read back from the PEM. Nothing here signs by
//! hand: aws-lc-rs makes the keys, `jsonwebtoken` (over aws-lc-rs) signs.

use std::collections::BTreeMap;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType,
    PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::KeyError;
use crate::domain::oidc::SigningAlg;

/// A freshly made key: its id, public JWK and private PKCS#8 PEM.
pub(super) struct Generated {
    /// The RFC 7638 thumbprint of the public key.
    pub(super) kid: String,
    /// The public JWK, with `kid`, `use` and `alg`.
    pub(super) public_jwk: String,
    /// The private key, PKCS#8 PEM.
    pub(super) pem: Zeroizing<Vec<u8>>,
}

/// The `jsonwebtoken` algorithm of `alg`.
pub(super) fn jose_alg(alg: SigningAlg) -> Algorithm {
    match alg {
        SigningAlg::Rs256 => Algorithm::RS256,
        SigningAlg::Es256 => Algorithm::ES256,
        SigningAlg::EdDsa => Algorithm::EdDSA,
    }
}

/// Makes a new key pair for `alg`. RSA key generation takes a noticeable
/// fraction of a second: call it off the async workers.
pub(super) fn generate(alg: SigningAlg) -> Result<Generated, KeyError> {
    let failed = |_| KeyError::Crypto("generating a key pair");
    // `jsonwebtoken` 10.3 writes the JWK of an RSA or EC key, not yet of an
    // Ed25519 one: that is its 32-byte public key (RFC 8037 §2).
    let (pkcs8, ed25519_public) = match alg {
        SigningAlg::Rs256 => {
            (RsaKeyPair::generate(KeySize::Rsa2048).and_then(|k| k.as_der()).map_err(failed)?.as_ref().to_vec(), None)
        }
        SigningAlg::Es256 => (
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .and_then(|k| k.to_pkcs8v1())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            None,
        ),
        SigningAlg::EdDsa => {
            let pair = Ed25519KeyPair::generate().map_err(failed)?;
            // Version 1 (no public key inside): the form `jsonwebtoken` reads.
            (pair.to_pkcs8v1().map_err(failed)?.as_ref().to_vec(), Some(pair.public_key().as_ref().to_vec()))
        }
    };
    let pkcs8 = Zeroizing::new(pkcs8);
    let pem = Zeroizing::new(pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.to_vec())).into_bytes());
    let key = encoding_key(alg, &pem)?;
    let mut jwk = match ed25519_public {
        Some(x) => Jwk {
            common: CommonParameters { key_algorithm: Some(KeyAlgorithm::EdDSA), ..CommonParameters::default() },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(x),
            }),
        },
        None => Jwk::from_encoding_key(&key, jose_alg(alg))?,
    };
    let unwritable = |_| KeyError::Crypto("writing a JWK");
    let kid = thumbprint(&serde_json::to_value(&jwk).map_err(unwritable)?)?;
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    let public_jwk = serde_json::to_string(&jwk).map_err(unwritable)?;
    Ok(Generated { kid, public_jwk, pem })
}

/// The RFC 7638 thumbprint of a public JWK: SHA-256 over the key type's
/// required members in lexicographic order, without whitespace (§3.2),
/// base64url. (The `jsonwebtoken` this build can use, 10.3, misspells the
/// Ed25519 input, so the rule is kept here, where the RFC's example checks it.)
fn thumbprint(jwk: &Value) -> Result<String, KeyError> {
    let required: &[&str] = match jwk.get("kty").and_then(Value::as_str) {
        Some("RSA") => &["e", "kty", "n"],
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("OKP") => &["crv", "kty", "x"],
        _ => return Err(KeyError::Crypto("a JWK of an unknown key type")),
    };
    let members: BTreeMap<&str, &Value> =
        required.iter().filter_map(|&name| jwk.get(name).map(|value| (name, value))).collect();
    if members.len() != required.len() {
        return Err(KeyError::Crypto("a JWK without its required members"));
    }
    let canonical = serde_json::to_string(&members).map_err(|_| KeyError::Crypto("writing a JWK"))?;
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// The signing key in a PKCS#8 PEM of `alg`.
pub(super) fn encoding_key(alg: SigningAlg, pem: &[u8]) -> Result<EncodingKey, KeyError> {
    Ok(match alg {
        SigningAlg::Rs256 => EncodingKey::from_rsa_pem(pem)?,
        SigningAlg::Es256 => EncodingKey::from_ec_pem(pem)?,
        SigningAlg::EdDsa => EncodingKey::from_ed_pem(pem)?,
    })
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Header, Validation};

    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Claims {
        sub: String,
        aud: String,
        exp: i64,
    }

    // RFC 7517 §4: a published JWK names its `kid`, `use` ("sig") and `alg`,
    // and carries nothing private (RSA `d`, `p`, `q`…; EC and OKP `d`).
    #[test]
    fn every_algorithm_makes_a_key_whose_public_jwk_verifies_what_it_signs() {
        for alg in SigningAlg::ALL {
            let generated = generate(alg).unwrap();
            let key = encoding_key(alg, &generated.pem).unwrap();
            let claims = Claims { sub: "7".into(), aud: "app".into(), exp: 4_000_000_000 };
            let mut header = Header::new(jose_alg(alg));
            header.kid = Some(generated.kid.clone());

            let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();

            let jwk: Jwk = serde_json::from_str(&generated.public_jwk).unwrap();
            let json: serde_json::Value = serde_json::from_str(&generated.public_jwk).unwrap();
            assert_eq!(json["kid"], generated.kid.as_str(), "{alg}");
            assert_eq!(json["use"], "sig", "{alg}");
            assert_eq!(json["alg"], alg.as_str(), "{alg}");
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(json.get(private).is_none(), "{alg}: {private} is private");
            }
            assert_eq!(jsonwebtoken::decode_header(&token).unwrap().kid, Some(generated.kid.clone()));
            let mut validation = Validation::new(jose_alg(alg));
            validation.set_audience(&["app"]);
            let decoded = jsonwebtoken::decode::<Claims>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &validation);
            assert_eq!(decoded.unwrap().claims, claims, "{alg}");
            assert!(String::from_utf8_lossy(&generated.pem).starts_with("-----BEGIN PRIVATE KEY-----"));
        }
    }

    // RFC 7638 §3.1: the example RSA key's thumbprint.
    #[test]
    fn rfc7638_3_1_the_thumbprint_of_the_example_key() {
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29",
        });
        assert_eq!(thumbprint(&jwk).unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert!(thumbprint(&serde_json::json!({ "kty": "oct", "k": "x" })).is_err());
        assert!(thumbprint(&serde_json::json!({ "kty": "EC", "crv": "P-256", "x": "x" })).is_err());
    }

    #[test]
    fn two_keys_of_one_algorithm_have_different_ids() {
        assert_ne!(generate(SigningAlg::Es256).unwrap().kid, generate(SigningAlg::Es256).unwrap().kid);
    }
}
