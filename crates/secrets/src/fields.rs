//! Personal data at rest: phone numbers, addresses, medical notes, a resident's own words and
//! the messages queued for 119 and caregivers are stored sealed with AES-256-GCM.
//!
//! Each sealed value names its key (`pd1:<key id>:<base64 nonce‖ciphertext>`), so keys can
//! rotate: the first configured key seals, every configured key opens, and values under an old
//! key (or stored before encryption) are re-sealed in batches until none is left. The column's
//! name is bound in as associated data, so a value copied into another column does not open.
//! Lookups that need equality (a phone number for duplicate detection or a caregiver's reply)
//! use a keyed hash instead, which a stolen database cannot reverse by trying every number.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const PREFIX: &str = "pd1:";

/// Why a key list was refused (names the entry, never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListError(pub String);

impl std::fmt::Display for KeyListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "personal_data_keys: {}", self.0)
    }
}

/// Why a stored value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// Sealed under a key id this deployment does not have.
    UnknownKey(String),
    /// Altered, truncated, or moved from another column.
    Damaged,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::UnknownKey(id) => {
                write!(f, "sealed under key {id:?}, which is not configured")
            }
            OpenError::Damaged => f.write_str("sealed value does not open (altered or misplaced)"),
        }
    }
}

/// The keys personal data is sealed with, and the key of its lookup hashes.
pub struct PersonalDataKeys {
    /// Newest first; empty when the deployment stores personal data in plain text.
    keys: Vec<(String, Aes256Gcm)>,
    lookup: [u8; 32],
}

impl PersonalDataKeys {
    /// Reads the `personal_data_keys` setting: `id=<64 hex digits>` entries separated by commas,
    /// the first sealing; or `plaintext`, which stores values unsealed (for measuring the cost
    /// of encryption, never for real data). `lookup_master` keys the lookup hashes; it must not
    /// change while hashes are stored.
    pub fn parse(spec: &str, lookup_master: &str) -> Result<Self, KeyListError> {
        let lookup =
            Sha256::digest(format!("safetynet-lookup-v1:{lookup_master}").as_bytes()).into();
        let spec = spec.trim();
        if spec == "plaintext" {
            return Ok(PersonalDataKeys {
                keys: Vec::new(),
                lookup,
            });
        }
        let mut keys: Vec<(String, Aes256Gcm)> = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, hex_key) = entry
                .split_once('=')
                .ok_or_else(|| KeyListError(format!("entry {} is not id=key", keys.len() + 1)))?;
            let id = id.trim();
            if id.is_empty()
                || id.len() > 16
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(KeyListError(format!(
                    "key id {id:?}: 1-16 letters, digits, '-' or '_'"
                )));
            }
            if keys.iter().any(|(k, _)| k == id) {
                return Err(KeyListError(format!("key id {id:?} is listed twice")));
            }
            let bytes = hex::decode(hex_key.trim())
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| {
                    KeyListError(format!("key {id:?}: must be 64 hex digits (32 bytes)"))
                })?;
            keys.push((
                id.to_string(),
                Aes256Gcm::new_from_slice(&bytes).expect("32-byte key"),
            ));
        }
        if keys.is_empty() {
            return Err(KeyListError(
                "no key given (id=<64 hex digits>, or `plaintext`)".into(),
            ));
        }
        Ok(PersonalDataKeys { keys, lookup })
    }

    /// A fresh random key in the form [`parse`](Self::parse) reads (`id=<64 hex digits>`).
    pub fn generate(id: &str) -> String {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("secure random source");
        format!("{id}={}", hex::encode(key))
    }

    /// The id of the key that seals, or `None` when values are stored in plain text.
    pub fn current_key(&self) -> Option<&str> {
        self.keys.first().map(|(id, _)| id.as_str())
    }

    /// `value` sealed for `column` (e.g. `residents.address`) under the current key.
    pub fn seal(&self, column: &str, value: &str) -> String {
        let Some((id, cipher)) = self.keys.first() else {
            return value.to_string();
        };
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("secure random source");
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: column.as_bytes(),
                },
            )
            .expect("encryption cannot fail");
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&ct);
        format!("{PREFIX}{id}:{}", B64.encode(raw))
    }

    /// The plain value of what [`seal`](Self::seal) stored for `column`; a value stored before
    /// encryption (no `pd1:` prefix) is returned as it is.
    pub fn open(&self, column: &str, stored: &str) -> Result<String, OpenError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let (id, body) = rest.split_once(':').ok_or(OpenError::Damaged)?;
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_string()))?;
        let raw = B64.decode(body).map_err(|_| OpenError::Damaged)?;
        if raw.len() < 12 + 16 {
            return Err(OpenError::Damaged);
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Damaged)?;
        String::from_utf8(plain).map_err(|_| OpenError::Damaged)
    }

    /// Whether `stored` is as [`seal`](Self::seal) would store it now: sealed under the current
    /// key (or, in plain-text mode, not sealed at all).
    pub fn is_current(&self, stored: &str) -> bool {
        match self.current_key() {
            Some(id) => stored
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.strip_prefix(id))
                .is_some_and(|rest| rest.starts_with(':')),
            None => !stored.starts_with(PREFIX),
        }
    }

    /// The SQL `LIKE` pattern of values sealed under the current key (`pd1:k2:%`), or `None`
    /// in plain-text mode; lets a query find what still needs re-sealing without opening rows.
    pub fn current_pattern(&self) -> Option<String> {
        self.current_key().map(|id| format!("{PREFIX}{id}:%"))
    }

    /// A keyed hash of `value` for equality lookups of one `purpose` (e.g. `phone`), hex.
    pub fn lookup_hash(&self, purpose: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup).expect("any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const K2: &str = "k2=1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

    #[test]
    fn sealed_values_open_only_for_their_column_and_hide_the_text() {
        let keys = PersonalDataKeys::parse(K1, "m").unwrap();
        let s = keys.seal("residents.phone", "010-1234-5678");
        assert!(s.starts_with("pd1:k1:"), "{s}");
        assert!(!s.contains("1234"));
        assert_eq!(keys.open("residents.phone", &s).unwrap(), "010-1234-5678");
        assert_eq!(keys.open("contacts.phone", &s), Err(OpenError::Damaged));
        assert_ne!(
            keys.seal("residents.phone", "010-1234-5678"),
            s,
            "fresh nonce each time"
        );
        let mut altered = s.clone();
        altered.pop();
        assert_eq!(
            keys.open("residents.phone", &altered),
            Err(OpenError::Damaged)
        );
    }

    #[test]
    fn rotation_seals_with_the_first_key_and_opens_with_any() {
        let old = PersonalDataKeys::parse(K1, "m").unwrap();
        let s1 = old.seal("residents.address", "울산 중구 1");
        let both = PersonalDataKeys::parse(&format!("{K2},{K1}"), "m").unwrap();
        assert_eq!(both.open("residents.address", &s1).unwrap(), "울산 중구 1");
        assert!(!both.is_current(&s1));
        let s2 = both.seal("residents.address", "울산 중구 1");
        assert!(both.is_current(&s2));
        assert_eq!(both.current_pattern().as_deref(), Some("pd1:k2:%"));
        let new_only = PersonalDataKeys::parse(K2, "m").unwrap();
        assert_eq!(
            new_only.open("residents.address", &s2).unwrap(),
            "울산 중구 1"
        );
        assert_eq!(
            new_only.open("residents.address", &s1),
            Err(OpenError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn plain_values_pass_and_plaintext_mode_stores_plain() {
        let keys = PersonalDataKeys::parse(K1, "m").unwrap();
        assert_eq!(
            keys.open("x", "stored before encryption").unwrap(),
            "stored before encryption"
        );
        assert!(!keys.is_current("stored before encryption"));
        let plain = PersonalDataKeys::parse("plaintext", "m").unwrap();
        assert_eq!(plain.seal("x", "v"), "v");
        assert!(plain.is_current("v"));
        assert!(!plain.is_current(&keys.seal("x", "v")));
        assert_eq!(plain.current_pattern(), None);
    }

    #[test]
    fn bad_key_lists_are_refused_naming_the_entry() {
        for (spec, says) in [
            ("", "no key"),
            ("k1", "not id=key"),
            ("k1=abcd", "64 hex"),
            ("bad id=00", "key id"),
            (&format!("{K1},{K1}") as &str, "twice"),
        ] {
            let e = PersonalDataKeys::parse(spec, "m")
                .err()
                .expect(spec)
                .to_string();
            assert!(e.contains(says), "{spec:?}: {e}");
            assert!(!e.contains("0001020304"), "never the key itself: {e}");
        }
        let generated = PersonalDataKeys::generate("k9");
        assert!(PersonalDataKeys::parse(&generated, "m").is_ok());
    }

    #[test]
    fn lookup_hashes_are_keyed_and_separate_purposes() {
        let a = PersonalDataKeys::parse(K1, "m1").unwrap();
        let b = PersonalDataKeys::parse(K2, "m1").unwrap();
        let c = PersonalDataKeys::parse(K1, "m2").unwrap();
        assert_eq!(
            a.lookup_hash("phone", "01012345678"),
            b.lookup_hash("phone", "01012345678")
        );
        assert_ne!(
            a.lookup_hash("phone", "01012345678"),
            c.lookup_hash("phone", "01012345678")
        );
        assert_ne!(
            a.lookup_hash("phone", "01012345678"),
            a.lookup_hash("other", "01012345678")
        );
        assert_eq!(a.lookup_hash("phone", "01012345678").len(), 64);
    }
}
