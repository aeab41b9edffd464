//! Owner of `ack_codes` and `sms_replies`: how a caregiver acknowledges without an account.
//!
//! Each caregiver notification gets a short random code. The link in the SMS carries the code
//! and a signature over it (made with the suite's secret key), so a forged link is refused
//! before the database is asked; the code alone is what an SMS reply quotes. A code works once
//! and only until it expires.

use serde_json::{Value, json};

use safetynet_db::StoreResult;
use safetynet_db::{Db, int, opt_text, rows, text};
use safetynet_secrets::token_hash;
use safetynet_wire::time::to_rfc3339;

/// How long a caregiver's code works.
pub const VALID_MS: i64 = 24 * 3_600_000;

/// Letters and digits that cannot be misread for each other on a phone (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 6;

/// A code as stored.
#[derive(Debug, Clone)]
pub struct AckCode {
    /// The six-character code.
    pub code: String,
    /// The incident it acknowledges.
    pub incident_id: String,
    /// The caregiver contact it was sent to.
    pub contact_id: String,
    /// When it stops working (unix ms).
    pub expires_at: i64,
    /// When it was used (unix ms); `None` while unused.
    pub used_at: Option<i64>,
    /// How it was used: `link` or `sms`.
    pub used_via: Option<String>,
}

/// The digits of a phone number, how replies are matched (`010-1234-5678` = `01012345678`).
pub fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Issues a new code for `contact_id` (reached at `phone`) about `incident_id`. The number is
/// kept only as a keyed hash of its digits (`phone_digits`), enough to match a reply.
pub fn issue(
    db: &Db,
    incident_id: &str,
    contact_id: &str,
    phone: &str,
    now: i64,
) -> StoreResult<String> {
    let mut random = [0u8; CODE_LEN];
    getrandom::fill(&mut random).expect("secure random source");
    let code: String = random
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    db.exec(
        "INSERT INTO ack_codes (code, incident_id, contact_id, phone_digits, issued_at, expires_at) VALUES (?,?,?,?,?,?)",
        &[
            text(&code),
            text(incident_id),
            text(contact_id),
            text(db.lookup_hash("phone", &digits(phone))?),
            int(now),
            int(now + VALID_MS),
        ],
    )?;
    Ok(code)
}

/// Whether a word of an SMS reply could be a code (`확인`, six bytes of Hangul, is not).
pub fn looks_like_code(word: &str) -> bool {
    word.len() == CODE_LEN && word.bytes().all(|b| ALPHABET.contains(&b))
}

/// The link token for `code`: the code and a signature over it.
pub fn token(secret_key: &str, code: &str) -> String {
    format!("{code}-{}", signature(secret_key, code))
}

/// The code of a link token whose signature is right; `None` for anything forged or malformed.
pub fn verify_token<'a>(secret_key: &str, token: &'a str) -> Option<&'a str> {
    let (code, sig) = token.split_once('-')?;
    let expected = signature(secret_key, code);
    // Hashes compared, as for staff tokens: the time taken says nothing about the signature.
    let same = token_hash(sig) == token_hash(&expected);
    (same && code.len() == CODE_LEN).then_some(code)
}

fn signature(secret_key: &str, code: &str) -> String {
    let full = safetynet_wire::signature::sign(secret_key.as_bytes(), "ack", code.as_bytes());
    full.trim_start_matches("v1=")[..16].to_string()
}

/// The stored code, used or expired ones included; `None` if there is none.
pub fn get(db: &Db, code: &str) -> StoreResult<Option<AckCode>> {
    let r = db.exec(
        "SELECT code, incident_id, contact_id, expires_at, used_at, used_via FROM ack_codes WHERE code = ?",
        &[text(code)],
    )?;
    Ok(rows(&r).next().map(|row| AckCode {
        code: row.str("code"),
        incident_id: row.str("incident_id"),
        contact_id: row.str("contact_id"),
        expires_at: row.int("expires_at"),
        used_at: row.opt_int("used_at"),
        used_via: row.opt_str("used_via"),
    }))
}

/// Marks `code` used by `via` (`link` or `sms`) if it is still unused and unexpired; returns
/// whether it was.
pub fn use_code(db: &Db, code: &str, via: &str, now: i64) -> StoreResult<bool> {
    db.exec(
        "UPDATE ack_codes SET used_at = ?, used_via = ? WHERE code = ? AND used_at IS NULL AND expires_at > ?",
        &[int(now), text(via), text(code), int(now)],
    )?;
    Ok(db.changes() == 1)
}

/// Unused, unexpired codes sent to this number for incidents still waiting for someone,
/// newest first.
pub fn open_for_phone(db: &Db, phone_digits: &str, now: i64) -> StoreResult<Vec<AckCode>> {
    let r = db.exec(
        "SELECT a.code, a.incident_id, a.contact_id, a.expires_at, a.used_at, a.used_via
         FROM ack_codes a JOIN incidents i ON i.id = a.incident_id
         WHERE a.phone_digits = ? AND a.used_at IS NULL AND a.expires_at > ? AND i.state = 'triggered'
         ORDER BY a.issued_at DESC",
        &[text(db.lookup_hash("phone", phone_digits)?), int(now)],
    )?;
    Ok(rows(&r)
        .map(|row| AckCode {
            code: row.str("code"),
            incident_id: row.str("incident_id"),
            contact_id: row.str("contact_id"),
            expires_at: row.int("expires_at"),
            used_at: None,
            used_via: None,
        })
        .collect())
}

/// One reply the SMS gateway delivered and what became of it.
pub struct Reply<'a> {
    /// The sender's number, digits only ([`digits`]).
    pub from_digits: &'a str,
    /// The reply's text, as received.
    pub body: &'a str,
    /// The code it quoted or was matched to, if any.
    pub code: Option<&'a str>,
    /// The incident it acknowledged (or had already been acknowledged), if matched.
    pub incident_id: Option<&'a str>,
    /// `acknowledged`, `already-acknowledged`, `unmatched` or `not-an-acknowledgement`.
    pub outcome: &'a str,
}

/// Stores a reply in `sms_replies`, received at `now`.
pub fn record_reply(db: &Db, r: &Reply, now: i64) -> StoreResult<()> {
    db.exec(
        "INSERT INTO sms_replies (received_at, from_digits, body, code, incident_id, outcome) VALUES (?,?,?,?,?,?)",
        &[
            int(now),
            db.sealed("sms_replies.from_digits", r.from_digits)?,
            db.sealed("sms_replies.body", r.body)?,
            opt_text(r.code),
            opt_text(r.incident_id),
            text(r.outcome),
        ],
    )?;
    Ok(())
}

/// Replies, newest first, optionally only those with `outcome`.
pub fn replies(db: &Db, outcome: Option<&str>, limit: i64) -> StoreResult<Vec<Value>> {
    let r = match outcome {
        Some(o) => db.exec(
            "SELECT id, received_at, from_digits, body, code, incident_id, outcome FROM sms_replies WHERE outcome = ? ORDER BY id DESC LIMIT ?",
            &[text(o), int(limit)],
        )?,
        None => db.exec(
            "SELECT id, received_at, from_digits, body, code, incident_id, outcome FROM sms_replies ORDER BY id DESC LIMIT ?",
            &[int(limit)],
        )?,
    };
    Ok(rows(&r)
        .map(|row| {
            json!({
                "id": row.int("id"),
                "received_at": to_rfc3339(row.int("received_at")),
                "from": db.unsealed("sms_replies.from_digits", row.str("from_digits")),
                "text": db.unsealed("sms_replies.body", row.str("body")),
                "code": row.opt_str("code"),
                "incident_id": row.opt_str("incident_id"),
                "outcome": row.str("outcome"),
            })
        })
        .collect())
}
