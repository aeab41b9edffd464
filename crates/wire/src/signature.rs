//! Device-event signatures: `X-SafetyNet-Signature: v1=<hex hmac-sha256(secret, ts + "." + body)>`
//! with `X-SafetyNet-Timestamp` (unix seconds) inside a ±300 s window.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from our clock, either way, in seconds.
pub const WINDOW_SECS: i64 = 300;

/// Why a signed request was refused.
#[derive(Debug, PartialEq)]
pub enum SignatureError {
    /// No `X-SafetyNet-Timestamp` header.
    MissingTimestamp,
    /// The timestamp is not an integer count of unix seconds.
    BadTimestamp,
    /// Outside the window; carries the skew in seconds.
    Stale(i64),
    /// No `X-SafetyNet-Signature` header.
    MissingSignature,
    /// No `v1=` signature in the header matches the body.
    BadSignature,
}

impl SignatureError {
    /// What to tell the sender, naming the header at fault.
    pub fn message(&self) -> String {
        match self {
            Self::MissingTimestamp => "X-SafetyNet-Timestamp header missing".into(),
            Self::BadTimestamp => "X-SafetyNet-Timestamp is not unix seconds".into(),
            Self::Stale(s) => {
                format!("X-SafetyNet-Timestamp is {s} s from our clock (window ±{WINDOW_SECS} s)")
            }
            Self::MissingSignature => "X-SafetyNet-Signature header missing".into(),
            Self::BadSignature => "X-SafetyNet-Signature does not match".into(),
        }
    }
}

/// The signature header value for `body` at `timestamp` (what senders compute).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks the window and the signature (constant-time comparison).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let ts = timestamp.ok_or(SignatureError::MissingTimestamp)?;
    let t: i64 = ts
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    // Saturating: a timestamp near i64::MIN/MAX must not overflow (a panic in debug builds).
    let skew = t.saturating_sub(now_secs);
    if skew.unsigned_abs() > WINDOW_SECS as u64 {
        return Err(SignatureError::Stale(skew));
    }
    let sig = signature.ok_or(SignatureError::MissingSignature)?;
    // Several comma-separated signatures allow key rotation; any v1 that matches is enough.
    for part in sig.split(',') {
        if let Some(hexsig) = part.trim().strip_prefix("v1=") {
            let Ok(bytes) = hex::decode(hexsig) else {
                continue;
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
            mac.update(ts.as_bytes());
            mac.update(b".");
            mac.update(body);
            if mac.verify_slice(&bytes).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let s = sign(b"k", "1000", b"{}");
        assert!(verify(b"k", Some("1000"), Some(&s), b"{}", 1000).is_ok());
        assert_eq!(
            verify(b"k", Some("1000"), Some(&s), b"{ }", 1000),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(
            verify(b"x", Some("1000"), Some(&s), b"{}", 1000),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(
            verify(b"k", Some("1000"), Some(&s), b"{}", 1301),
            Err(SignatureError::Stale(-301))
        );
        assert!(verify(b"k", Some("1000"), Some(&s), b"{}", 1300).is_ok());
        assert_eq!(
            verify(b"k", Some("-9223372036854775808"), Some(&s), b"{}", 1000),
            Err(SignatureError::Stale(i64::MIN))
        );
        assert_eq!(
            verify(b"k", None, Some(&s), b"{}", 1000),
            Err(SignatureError::MissingTimestamp)
        );
        assert_eq!(
            verify(b"k", Some("1000"), None, b"{}", 1000),
            Err(SignatureError::MissingSignature)
        );
    }

    #[test]
    fn known_answer() {
        // hmac-sha256("secret", "1700000000.{}") from Python's hmac module.
        assert_eq!(
            sign(b"secret", "1700000000", b"{}"),
            "v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
    }
}
