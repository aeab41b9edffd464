//! Staff passwords, kept only as argon2id hashes in PHC form (`$argon2id$v=19$m=…`), so the
//! parameters travel with each hash and can be raised later without breaking old ones.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// A hash of a password nobody has, verified against when a username is unknown so that an
/// unknown user and a wrong password take the same time.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FmZXR5bmV0LWRlY295$1u2Vq8yJ0Tzd1lH7Fq2Zr5m0j0G4M9c7bKf3uPjQ2nE";

/// The argon2id hash of `password` with a fresh random salt (OWASP's default parameters:
/// 19 MiB, two passes).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("secure random source");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password with default parameters")
        .to_string()
}

/// Whether `password` matches `hash`; `None` for the hash checks the decoy and answers false.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let known = hash.is_some();
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or(DECOY)) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    known && ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(Some(&h), "correct horse battery"));
        assert!(!verify_password(Some(&h), "correct horse batterz"));
        assert_ne!(h, hash_password("correct horse battery"), "salted");
    }

    #[test]
    fn an_unknown_user_never_verifies_and_the_decoy_parses() {
        assert!(PasswordHash::new(DECOY).is_ok());
        assert!(!verify_password(None, ""));
        assert!(!verify_password(None, "anything"));
        assert!(!verify_password(Some("not a phc string"), "x"));
    }
}
