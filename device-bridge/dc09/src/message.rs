//! Whole messages: decode a frame into a [`Message`], encode one back.

use chrono::{DateTime, Utc};

use crate::cid::ContactId;
use crate::crypto::{self, Key, KeyLookup, PadSource};
use crate::error::{DecodeError, EncodeError};
use crate::frame::{self, Header, MAX_BODY_LEN, Token};
use crate::report::Report;
use crate::sia::SiaData;
use crate::time::{self, TIMESTAMP_LEN};

/// The data between `[` and `]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Payload {
    /// `[]`: NULL messages and responses.
    Empty,
    /// `ADM-CID` data.
    ContactId(ContactId),
    /// `SIA-DCS` data.
    Sia(SiaData),
    /// Non-empty data on a token that defines none (NULL, ACK, NAK, DUH),
    /// kept verbatim.
    Text(String),
}

/// A decoded (or to-be-encoded) DC-09 message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// The plain-text routing fields.
    pub header: Header,
    /// The data between `[` and `]`.
    pub payload: Payload,
    /// Extended data blocks `[…]` after the data, without brackets
    /// (e.g. `"Vhttp://cam/1"`, `"X127.0E"`), in order.
    pub extended: Vec<String>,
    /// `_HH:MM:SS,MM-DD-YYYY`; optional in plain messages, mandatory when encrypted.
    pub timestamp: Option<DateTime<Utc>>,
}

impl Message {
    /// A plain message without receiver, extended data or timestamp.
    pub fn new(
        token: Token,
        seq: u16,
        prefix: impl Into<String>,
        account: impl Into<String>,
        payload: Payload,
    ) -> Message {
        Message {
            header: Header {
                token,
                encrypted: false,
                seq,
                receiver: None,
                prefix: prefix.into(),
                account: account.into(),
            },
            payload,
            extended: Vec::new(),
            timestamp: None,
        }
    }

    /// Sets the receiver number (`R…`).
    pub fn with_receiver(mut self, receiver: impl Into<String>) -> Message {
        self.header.receiver = Some(receiver.into());
        self
    }

    /// Sets the timestamp (mandatory for encryption).
    pub fn with_timestamp(mut self, ts: DateTime<Utc>) -> Message {
        self.timestamp = Some(ts);
        self
    }

    /// Marks the message for encryption (`*` token); encoding then needs a key
    /// and a timestamp.
    pub fn with_encryption(mut self, encrypted: bool) -> Message {
        self.header.encrypted = encrypted;
        self
    }

    /// Appends an extended data block (`[…]` after the data), without its brackets.
    pub fn with_extended(mut self, block: impl Into<String>) -> Message {
        self.extended.push(block.into());
        self
    }

    /// Safety Net meaning of the events in this message (empty for NULL and
    /// responses: supervision by NULL is the bridge's job).
    pub fn reports(&self) -> Vec<Report> {
        match &self.payload {
            Payload::ContactId(c) => vec![c.report()],
            Payload::Sia(s) => s.reports().collect(),
            Payload::Empty | Payload::Text(_) => Vec::new(),
        }
    }
}

/// Decodes one frame and checks its timestamp (if any) against `now`.
///
/// `frame` is `<LF>…<CR>` (a missing LF or CR is tolerated). Keys are looked
/// up by the header's account. A plain event frame for an account that has a
/// key is refused ([`DecodeError::EncryptionRequired`]) so encryption cannot
/// be downgraded by a spoofer.
pub fn decode(
    frame: &[u8],
    keys: &dyn KeyLookup,
    now: DateTime<Utc>,
) -> Result<Message, DecodeError> {
    decode_inner(frame, keys, Some(now))
}

/// [`decode`] without the timestamp window (for replaying stored frames,
/// tests and interop checks). Timestamps are still parsed and required when
/// encrypted.
pub fn decode_unchecked(frame: &[u8], keys: &dyn KeyLookup) -> Result<Message, DecodeError> {
    decode_inner(frame, keys, None)
}

fn decode_inner(
    frame: &[u8],
    keys: &dyn KeyLookup,
    now: Option<DateTime<Utc>>,
) -> Result<Message, DecodeError> {
    let body = frame::check(frame)?;
    let raw = frame::parse_header(body)?;
    let token = Token::from_bytes(raw.token).ok_or(DecodeError::UnknownToken)?;
    let rest = &body[raw.data_start..];

    let mut buf = [0u8; crypto::MAX_PLAIN];
    let inner: &[u8] = if raw.encrypted {
        let key = keys.key_for(raw.account).ok_or(DecodeError::MissingKey)?;
        let plain = crypto::decrypt(key, rest, &mut buf)?;
        crypto::strip_pad(plain)?
    } else {
        if token.is_event() && keys.key_for(raw.account).is_some() {
            return Err(DecodeError::EncryptionRequired);
        }
        rest
    };

    let tail = parse_tail(inner)?;
    if raw.encrypted && tail.timestamp.is_none() {
        return Err(DecodeError::MissingTimestamp);
    }
    if let (Some(now), Some(ts)) = (now, tail.timestamp) {
        time::check_time(now, ts)?;
    }
    let payload = match (token, tail.data) {
        (Token::AdmCid, d) => Payload::ContactId(ContactId::parse(d)?),
        (Token::SiaDcs, d) => Payload::Sia(SiaData::parse(d)?),
        (_, "") => Payload::Empty,
        (_, d) => Payload::Text(d.to_owned()),
    };
    let extended = if tail.ext_end > 0 {
        split_extended(&inner[tail.data.len() + 1..tail.ext_end])
    } else {
        Vec::new()
    };
    Ok(Message {
        header: raw.header(token),
        payload,
        extended,
        timestamp: tail.timestamp,
    })
}

struct Tail<'a> {
    data: &'a str,
    /// End index (exclusive) of the extended blocks in `inner`; 0 when none.
    ext_end: usize,
    timestamp: Option<DateTime<Utc>>,
}

fn printable(b: &[u8]) -> bool {
    b.iter().all(|c| (0x20..0x7F).contains(c))
}

/// Parses `data ']' {'[' ext ']'} ['_' timestamp]` up to the end of `inner`.
fn parse_tail(inner: &[u8]) -> Result<Tail<'_>, DecodeError> {
    let close = inner
        .iter()
        .position(|&b| b == b']')
        .ok_or(DecodeError::BadData("missing ']'"))?;
    let data = &inner[..close];
    if !printable(data) || data.contains(&b'[') {
        return Err(DecodeError::BadData(
            "data must be printable ASCII without '['",
        ));
    }
    let mut i = close + 1;
    let mut ext_end = 0;
    while inner.get(i) == Some(&b'[') {
        let len = inner[i + 1..]
            .iter()
            .position(|&b| b == b']')
            .ok_or(DecodeError::BadData("unterminated extended data"))?;
        let block = &inner[i + 1..i + 1 + len];
        if block.is_empty() || !printable(block) || block.contains(&b'[') {
            return Err(DecodeError::BadData("bad extended data block"));
        }
        i += len + 2;
        ext_end = i;
    }
    let timestamp = match &inner[i..] {
        [] => None,
        ts @ [b'_', ..] => {
            if ts.len() != TIMESTAMP_LEN {
                return Err(DecodeError::BadTimestamp);
            }
            Some(time::parse_timestamp(ts).ok_or(DecodeError::BadTimestamp)?)
        }
        _ => return Err(DecodeError::BadData("unexpected bytes after data")),
    };
    Ok(Tail {
        // Checked printable ASCII above.
        data: std::str::from_utf8(data).map_err(|_| DecodeError::BadData("not ASCII"))?,
        ext_end,
        timestamp,
    })
}

/// `"[a][b]"` without the outer brackets → `["a", "b"]`.
fn split_extended(blocks: &[u8]) -> Vec<String> {
    blocks
        .split(|&b| b == b']')
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(&s[1..]).into_owned())
        .collect()
}

fn is_hex(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_hexdigit())
}

fn clean_text(s: &str) -> bool {
    printable(s.as_bytes()) && !s.contains(['[', ']'])
}

fn validate(msg: &Message) -> Result<(), EncodeError> {
    use EncodeError::InvalidField as E;
    let h = &msg.header;
    if h.seq > 9999 {
        return Err(E("seq must be 0000-9999"));
    }
    if let Some(r) = &h.receiver
        && !is_hex(r, 6)
    {
        return Err(E("receiver must be 1-6 hex digits"));
    }
    if !is_hex(&h.prefix, 6) {
        return Err(E("prefix must be 1-6 hex digits"));
    }
    let nak_form = h.token == Token::Nak && h.account.is_empty();
    let account_ok =
        (1..=16).contains(&h.account.len()) && h.account.bytes().all(|c| c.is_ascii_alphanumeric());
    if !nak_form && !account_ok {
        return Err(E("account must be 1-16 ASCII alphanumerics"));
    }
    if nak_form && h.prefix.len() > 4 {
        return Err(E("NAK prefix too long to carry 'A0'"));
    }
    match &msg.payload {
        Payload::ContactId(c) => {
            if c.code > 999 || c.group > 99 || c.zone > 999 {
                return Err(E("Contact ID code/zone 000-999, group 00-99"));
            }
            if h.token != Token::AdmCid {
                return Err(E("Contact ID payload needs the ADM-CID token"));
            }
        }
        Payload::Sia(_) if h.token != Token::SiaDcs => {
            return Err(E("SIA payload needs the SIA-DCS token"));
        }
        Payload::Empty | Payload::Text(_) if matches!(h.token, Token::AdmCid | Token::SiaDcs) => {
            return Err(E("ADM-CID/SIA-DCS need event data"));
        }
        _ => {}
    }
    let inner_account = match &msg.payload {
        Payload::ContactId(c) => c.account.as_deref(),
        Payload::Sia(s) => s.account.as_deref(),
        _ => None,
    };
    if let Some(a) = inner_account
        && !a.bytes().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(E("data account must be alphanumeric"));
    }
    if let Payload::Sia(SiaData { body: t, .. }) | Payload::Text(t) = &msg.payload
        && !clean_text(t)
    {
        return Err(E("data must be printable ASCII without '[' or ']'"));
    }
    if msg.extended.iter().any(|x| x.is_empty() || !clean_text(x)) {
        return Err(E(
            "extended data must be non-empty printable ASCII without brackets",
        ));
    }
    if h.encrypted && msg.timestamp.is_none() {
        return Err(EncodeError::MissingTimestamp);
    }
    Ok(())
}

/// Encodes `msg` as a complete frame `<LF>crc 0LLL body<CR>`.
///
/// Encrypted messages (`header.encrypted`) need `key` and a timestamp; the
/// pad (1–16 bytes, see [`crate::crypto`]) comes from `pad`.
pub fn encode(
    msg: &Message,
    key: Option<&Key>,
    pad: &mut dyn PadSource,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(128);
    encode_into(msg, key, pad, &mut out)?;
    Ok(out)
}

/// [`encode`] appending to `out` (reuse one buffer in hot loops). On error
/// `out` is left as it was.
pub fn encode_into(
    msg: &Message,
    key: Option<&Key>,
    pad: &mut dyn PadSource,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    validate(msg)?;
    let key = match (msg.header.encrypted, key) {
        (true, None) => return Err(EncodeError::MissingKey),
        (true, Some(k)) => Some(k),
        (false, _) => None,
    };
    let mut text = String::with_capacity(64);
    match &msg.payload {
        Payload::Empty => {}
        Payload::ContactId(c) => c.write(&mut text),
        Payload::Sia(s) => s.write(&mut text),
        Payload::Text(t) => text.push_str(t),
    }
    text.push(']');
    for x in &msg.extended {
        text.push('[');
        text.push_str(x);
        text.push(']');
    }
    if let Some(ts) = msg.timestamp {
        text.push_str(std::str::from_utf8(&time::format_timestamp(ts)).expect("ASCII"));
    }

    let mark = out.len();
    let h = &msg.header;
    let body_start = frame::begin(out);
    frame::write_header(
        out,
        h.token,
        h.encrypted,
        h.seq,
        h.receiver.as_deref(),
        &h.prefix,
        &h.account,
    );
    let result = match key {
        None => {
            out.extend_from_slice(text.as_bytes());
            Ok(())
        }
        Some(key) => {
            // <pad> '|' text, a whole number of blocks.
            let rest = 1 + text.len();
            let pad_len = crypto::pad_len(rest);
            let mut plain = vec![0u8; pad_len + rest];
            plain[pad_len] = b'|';
            plain[pad_len + 1..].copy_from_slice(text.as_bytes());
            crypto::seal(key, &mut plain, pad_len, pad, out)
        }
    };
    let body_len = out.len() - body_start;
    let result = match result {
        Ok(()) if body_len > MAX_BODY_LEN => Err(EncodeError::TooLong(body_len)),
        r => r,
    };
    if let Err(e) = result {
        out.truncate(mark);
        return Err(e);
    }
    frame::finish(out, body_start);
    Ok(())
}
