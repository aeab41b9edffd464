//! Device secrets at rest: AES-256-GCM under a key derived from the `secret_key` Spin variable.
//!
//! A signature check needs the secret itself (HMAC is keyed by it), so it cannot be stored as a
//! one-way hash; it is encrypted instead, and a stolen database alone reveals nothing.
//! Staff passwords are the opposite case: only ever checked, so only an argon2id hash is kept.
//! Residents' personal data is sealed field by field under rotating keys ([`PersonalDataKeys`]).

mod fields;
mod password;

pub use fields::{KeyListError, OpenError, PersonalDataKeys};
pub use password::{hash_password, verify_password};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};

fn cipher(master: &str) -> Aes256Gcm {
    let key = Sha256::digest(format!("safetynet-device-secrets-v1:{master}").as_bytes());
    Aes256Gcm::new_from_slice(&key).expect("32-byte key")
}

/// Encrypts `secret`; the result is `nonce || ciphertext`, hex-encoded.
pub fn seal(master: &str, secret: &[u8]) -> String {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).expect("secure random source");
    let ct = cipher(master)
        .encrypt(Nonce::from_slice(&nonce), secret)
        .expect("encryption cannot fail");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    hex::encode(out)
}

/// Decrypts what [`seal`] produced; `None` if the key is wrong or the data was altered.
pub fn open(master: &str, sealed: &str) -> Option<Vec<u8>> {
    let raw = hex::decode(sealed).ok()?;
    if raw.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = raw.split_at(12);
    cipher(master).decrypt(Nonce::from_slice(nonce), ct).ok()
}

/// SHA-256 of a bearer token, hex; tokens are stored only as this.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_wrong_key() {
        let s = seal("master", b"device-secret");
        assert_eq!(open("master", &s).unwrap(), b"device-secret");
        assert!(open("other", &s).is_none());
        assert_ne!(seal("master", b"device-secret"), s, "fresh nonce each time");
    }
}
