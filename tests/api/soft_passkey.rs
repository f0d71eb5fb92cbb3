//! A software passkey for the API tests: a P-256 key (aws-lc-rs) that
//! answers WebAuthn's `create` and `get` the way a platform authenticator
//! does (attestation `none`, user present and verified, a counter), with
//! the CBOR written out by hand: no authenticator crate, no browser.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The issuer the passkey tests' servers run with: WebAuthn needs a host
/// name (an IP address cannot be a relying party id). Requests still go to
/// 127.0.0.1; only the relying party and the origin are this.
pub const ISSUER: &str = "http://localhost:8443";
pub const RP_ID: &str = "localhost";

pub struct SoftPasskey {
    key: EcdsaKeyPair,
    pub credential_id: Vec<u8>,
    /// The user handle the server gave at registration.
    pub user_handle: Vec<u8>,
    pub counter: u32,
    /// The origin it writes into its client data (a phishing site's differs).
    pub origin: String,
    /// Whether it says it is backed up (flags BE and BS), as a passkey
    /// synced between devices does.
    pub synced: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).unwrap()
}

/// A CBOR byte string.
fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = match bytes.len() {
        n if n < 24 => vec![0x40 | n as u8],
        n if n < 256 => vec![0x58, n as u8],
        n => vec![0x59, (n >> 8) as u8, n as u8],
    };
    out.extend_from_slice(bytes);
    out
}

/// A CBOR text string (short).
fn cbor_text(text: &str) -> Vec<u8> {
    let mut out = vec![0x60 | text.len() as u8];
    out.extend_from_slice(text.as_bytes());
    out
}

impl SoftPasskey {
    pub fn new() -> SoftPasskey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let credential_id: [u8; 16] = rand::random();
        SoftPasskey {
            key,
            credential_id: credential_id.to_vec(),
            user_handle: vec![],
            counter: 0,
            origin: ISSUER.into(),
            synced: false,
        }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        serde_json::json!({ "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false })
            .to_string()
            .into_bytes()
    }

    /// rpIdHash, flags (`extra` added to UP and UV, and BE and BS when
    /// synced), counter.
    fn auth_data_head(&self, extra_flags: u8) -> Vec<u8> {
        let mut data = Sha256::digest(RP_ID.as_bytes()).to_vec();
        let backup = if self.synced { 0x08 | 0x10 } else { 0 };
        data.push(0x01 | 0x04 | backup | extra_flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    /// The COSE key: EC2, ES256, P-256, x, y.
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..65]);
        let mut key = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        key.extend(cbor_bytes(x));
        key.push(0x22);
        key.extend(cbor_bytes(y));
        key
    }

    /// Answers `navigator.credentials.create` with the server's options:
    /// the JSON the page posts as `credential`.
    pub fn create(&mut self, options: &serde_json::Value) -> String {
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rp"]["id"], RP_ID, "the relying party is the issuer's host");
        assert_eq!(public_key["authenticatorSelection"]["residentKey"], "required", "a discoverable credential");
        self.user_handle = unb64(public_key["user"]["id"].as_str().unwrap());
        let client_data = self.client_data("webauthn.create", public_key["challenge"].as_str().unwrap());
        let mut auth_data = self.auth_data_head(0x40);
        auth_data.extend_from_slice(&[0; 16]);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(&auth_data));
        serde_json::json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": { "attestationObject": b64(&attestation), "clientDataJSON": b64(&client_data) },
            "extensions": {},
        })
        .to_string()
    }

    /// Answers `navigator.credentials.get` (the counter goes up by one).
    pub fn get(&mut self, options: &serde_json::Value) -> String {
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rpId"], RP_ID);
        self.counter += 1;
        self.assert_with(public_key["challenge"].as_str().unwrap())
    }

    /// An assertion over `challenge` at the current counter.
    pub fn assert_with(&self, challenge: &str) -> String {
        let client_data = self.client_data("webauthn.get", challenge);
        let auth_data = self.auth_data_head(0);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        serde_json::json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
            "extensions": {},
        })
        .to_string()
    }
}
