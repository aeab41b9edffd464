//! Receiver responses: ACK, NAK, DUH (ANSI/SIA DC-09-2013).
//!
//! ```text
//! ACK  "ACK"seq[Rrcvr]Lpref#acct[]                       plain request
//! ACK  "*ACK"seq[Rrcvr]Lpref#acct[hex(pad|]_HH:MM:SS,MM-DD-YYYY)]   encrypted request, same key
//! NAK  "NAK"0000R0L0A0[]_HH:MM:SS,MM-DD-YYYY             our time, never encrypted
//! DUH  "DUH"seq[Rrcvr]Lpref#acct[]                       never encrypted (we may lack the key)
//! ```

use chrono::{DateTime, Utc};

use crate::crypto::{Key, PadSource};
use crate::error::{DecodeError, EncodeError, Reply};
use crate::frame::{self, Header, Token};
use crate::message::{Message, Payload, encode};
use crate::time;

/// ACK echoing the request's sequence, receiver, prefix and account.
///
/// For an encrypted request the ACK is `*ACK`, encrypted with `key` (the
/// request's key) and carrying `now` as timestamp; `key` is ignored otherwise.
pub fn ack(
    request: &Header,
    key: Option<&Key>,
    now: DateTime<Utc>,
    pad: &mut dyn PadSource,
) -> Result<Vec<u8>, EncodeError> {
    let mut msg = Message::new(
        Token::Ack,
        request.seq,
        request.prefix.clone(),
        request.account.clone(),
        Payload::Empty,
    );
    msg.header.receiver = request.receiver.clone();
    if request.encrypted {
        msg = msg.with_encryption(true).with_timestamp(now);
    }
    encode(&msg, key, pad)
}

/// `"NAK"0000R0L0A0[]_HH:MM:SS,MM-DD-YYYY` with our time.
pub fn nak(now: DateTime<Utc>) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    let start = frame::begin(&mut out);
    frame::write_header(&mut out, Token::Nak, false, 0, Some("0"), "0", "");
    out.push(b']');
    out.extend_from_slice(&time::format_timestamp(now));
    frame::finish(&mut out, start);
    out
}

fn duh_fields(seq: u16, receiver: Option<&str>, prefix: &str, account: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    let start = frame::begin(&mut out);
    frame::write_header(&mut out, Token::Duh, false, seq, receiver, prefix, account);
    out.push(b']');
    frame::finish(&mut out, start);
    out
}

/// `"DUH"seq[Rrcvr]Lpref#acct[]` echoing the request's header (plain).
pub fn duh(request: &Header) -> Vec<u8> {
    duh_fields(
        request.seq,
        request.receiver.as_deref(),
        &request.prefix,
        &request.account,
    )
}

/// The response to a frame that failed with `err`: NAK, or DUH echoing the
/// frame's header. If the header cannot be read a DUH is impossible and NAK
/// is sent instead.
pub fn reply_to_error(frame_bytes: &[u8], err: &DecodeError, now: DateTime<Utc>) -> Vec<u8> {
    if err.reply() == Reply::Duh
        && let Ok(h) = frame::check(frame_bytes).and_then(frame::parse_header)
        && !h.account.is_empty()
    {
        return duh_fields(h.seq, h.receiver, h.prefix, h.account);
    }
    nak(now)
}
