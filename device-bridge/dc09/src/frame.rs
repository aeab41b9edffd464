//! Outer framing: `<LF><crc><0LLL><body><CR>`, CRC-16/ARC, length, and the
//! plain-text header at the start of the body (`"id"seq[Rrcvr]Lpref#acct[`).
//!
//! The CRC and the length both cover the *body*: from the opening quote of the
//! ID token up to the last byte before `<CR>` (ANSI/SIA DC-09-2013).

use crate::error::DecodeError;
use crate::hex;

/// Line feed that opens every frame.
pub const LF: u8 = b'\n';
/// Carriage return that closes every frame.
pub const CR: u8 = b'\r';
/// Largest body the `0LLL` length field can describe (three hex digits).
pub const MAX_BODY_LEN: usize = 0x0FFF;
/// LF + CRC (4) + length (4) + CR.
pub const FRAME_OVERHEAD: usize = 10;

static CRC16_ARC: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_ARC);

/// CRC-16/ARC (poly 0x8005 reflected, init 0, no xorout), the DC-09 checksum.
pub fn crc16(data: &[u8]) -> u16 {
    CRC16_ARC.checksum(data)
}

/// ID tokens this crate understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// `SIA-DCS`: SIA DC-03/DC-07 event data.
    SiaDcs,
    /// `ADM-CID`: Ademco Contact ID event data.
    AdmCid,
    /// `NULL`: link test / supervision, no event data.
    Null,
    /// `ACK`: receiver accepted the message.
    Ack,
    /// `NAK`: receiver rejected the message (timestamp or integrity); carries its time.
    Nak,
    /// `DUH`: receiver could not process an otherwise intact message.
    Duh,
}

impl Token {
    /// The token text without quotes or `*`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Token::SiaDcs => "SIA-DCS",
            Token::AdmCid => "ADM-CID",
            Token::Null => "NULL",
            Token::Ack => "ACK",
            Token::Nak => "NAK",
            Token::Duh => "DUH",
        }
    }

    /// Parses the token text (without quotes or `*`); case-sensitive as in the spec.
    pub fn from_bytes(b: &[u8]) -> Option<Token> {
        Some(match b {
            b"SIA-DCS" => Token::SiaDcs,
            b"ADM-CID" => Token::AdmCid,
            b"NULL" => Token::Null,
            b"ACK" => Token::Ack,
            b"NAK" => Token::Nak,
            b"DUH" => Token::Duh,
            _ => return None,
        })
    }

    /// Tokens a panel sends (as opposed to receiver responses).
    pub const fn is_event(self) -> bool {
        matches!(self, Token::SiaDcs | Token::AdmCid | Token::Null)
    }
}

/// The plain-text routing fields of a message (never encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The message type (`SIA-DCS`, `ADM-CID`, `NULL`, `ACK`, …).
    pub token: Token,
    /// `*` before the token: the part after `[` is AES-CBC encrypted.
    pub encrypted: bool,
    /// Sequence number, 0000–9999 (4 decimal digits on the wire).
    pub seq: u16,
    /// Receiver number, hex digits after `R` exactly as sent (optional field).
    pub receiver: Option<String>,
    /// Account prefix, hex digits after `L` exactly as sent (mandatory; `0` when unused).
    pub prefix: String,
    /// Account number after `#` exactly as sent. Empty only for NAK, whose
    /// fixed layout carries the literal `A0` instead of `#acct`.
    pub account: String,
}

/// Result of scanning a TCP stream buffer for the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// `buf[..len]` is one complete frame (LF … CR) ready for [`crate::decode`].
    Frame {
        /// The frame's length in bytes, from its LF to its CR.
        len: usize,
    },
    /// Not enough bytes yet; read more and scan again.
    NeedMore,
    /// Drop `buf[..n]` (noise before a LF, or a LF that does not start a
    /// well-formed frame) and scan again.
    Skip(usize),
}

/// Finds the next frame in a byte stream using the length field, so a stray
/// CR inside a body cannot split a frame. Does not check the CRC (decode does).
pub fn scan(buf: &[u8]) -> Scan {
    let Some(start) = buf.iter().position(|&b| b == LF) else {
        return if buf.is_empty() {
            Scan::NeedMore
        } else {
            Scan::Skip(buf.len())
        };
    };
    if start > 0 {
        return Scan::Skip(start);
    }
    if buf.len() < 9 {
        // Reject early if what we already have cannot be a header.
        if buf[1..].iter().any(|b| !b.is_ascii_hexdigit()) {
            return Scan::Skip(1);
        }
        return Scan::NeedMore;
    }
    let (Some(_), Some(len)) = (hex::parse_u16(&buf[1..5]), hex::parse_u16(&buf[5..9])) else {
        return Scan::Skip(1);
    };
    let len = len as usize;
    if len > MAX_BODY_LEN {
        return Scan::Skip(1);
    }
    let total = len + FRAME_OVERHEAD;
    if buf.len() < total {
        return Scan::NeedMore;
    }
    if buf[total - 1] != CR {
        return Scan::Skip(1);
    }
    Scan::Frame { len: total }
}

/// Checks LF/CR, the length and the CRC; returns the body.
///
/// A missing leading LF or trailing CR is tolerated (UDP receivers and some
/// panels strip them); everything else is strict.
pub(crate) fn check(frame: &[u8]) -> Result<&[u8], DecodeError> {
    let mut f = frame;
    if let [LF, rest @ ..] = f {
        f = rest;
    }
    if let [rest @ .., CR] = f {
        f = rest;
    }
    if f.len() < 8 {
        return Err(DecodeError::TooShort);
    }
    let declared_crc = hex::parse_u16(&f[0..4]).ok_or(DecodeError::BadCrcField)?;
    let declared_len = hex::parse_u16(&f[4..8]).ok_or(DecodeError::BadLengthField)? as usize;
    let body = &f[8..];
    if declared_len != body.len() || declared_len > MAX_BODY_LEN {
        return Err(DecodeError::BadLength {
            declared: declared_len,
            actual: body.len(),
        });
    }
    let computed = crc16(body);
    if computed != declared_crc {
        return Err(DecodeError::BadCrc {
            declared: declared_crc,
            computed,
        });
    }
    Ok(body)
}

/// Header fields borrowed from the body, before the token is known to be valid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawHeader<'a> {
    pub token: &'a [u8],
    pub encrypted: bool,
    pub seq: u16,
    pub receiver: Option<&'a str>,
    pub prefix: &'a str,
    pub account: &'a str,
    /// Index in the body of the first byte after `[`.
    pub data_start: usize,
}

impl RawHeader<'_> {
    pub fn header(&self, token: Token) -> Header {
        Header {
            token,
            encrypted: self.encrypted,
            seq: self.seq,
            receiver: self.receiver.map(str::to_owned),
            prefix: self.prefix.to_owned(),
            account: self.account.to_owned(),
        }
    }
}

fn hex_run(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count()
}

fn ascii(b: &[u8]) -> &str {
    // Callers only pass runs already checked to be ASCII alphanumerics.
    std::str::from_utf8(b).unwrap_or_default()
}

/// Parses `"id"seq[Rrcvr]Lpref#acct[` at the start of a body.
pub(crate) fn parse_header(body: &[u8]) -> Result<RawHeader<'_>, DecodeError> {
    const E: fn(&'static str) -> DecodeError = DecodeError::BadHeader;
    if body.first() != Some(&b'"') {
        return Err(E("ID token must start with '\"'"));
    }
    let close = body[1..]
        .iter()
        .take(10)
        .position(|&b| b == b'"')
        .ok_or(E("unterminated ID token"))?
        + 1;
    let mut token = &body[1..close];
    let encrypted = token.first() == Some(&b'*');
    if encrypted {
        token = &token[1..];
    }
    let mut i = close + 1;
    let seq_digits = body.get(i..i + 4).ok_or(E("sequence number missing"))?;
    if !seq_digits.iter().all(u8::is_ascii_digit) {
        return Err(E("sequence number must be 4 decimal digits"));
    }
    let seq = seq_digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    i += 4;

    let mut receiver = None;
    if body.get(i) == Some(&b'R') {
        let n = hex_run(body, i + 1);
        if !(1..=6).contains(&n) {
            return Err(E("receiver number must be 1-6 hex digits"));
        }
        receiver = Some(ascii(&body[i + 1..i + 1 + n]));
        i += 1 + n;
    }
    if body.get(i) != Some(&b'L') {
        return Err(E("account prefix 'L' missing"));
    }
    let n = hex_run(body, i + 1);
    if !(1..=6).contains(&n) {
        return Err(E("account prefix must be 1-6 hex digits"));
    }
    let mut prefix = ascii(&body[i + 1..i + 1 + n]);
    i += 1 + n;

    let account;
    match body.get(i) {
        Some(b'#') => {
            let n = body[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            if !(1..=16).contains(&n) {
                return Err(E("account must be 1-16 alphanumerics"));
            }
            account = ascii(&body[i + 1..i + 1 + n]);
            i += 1 + n;
        }
        Some(b'[') if token == b"NAK" && prefix.len() > 2 && prefix.ends_with("A0") => {
            // `"NAK"0000R0L0A0[]`: the hex run swallowed the literal `A0`.
            prefix = &prefix[..prefix.len() - 2];
            account = "";
        }
        _ => return Err(E("account '#' missing")),
    }
    if body.get(i) != Some(&b'[') {
        return Err(E("'[' must follow the account"));
    }
    Ok(RawHeader {
        token,
        encrypted,
        seq,
        receiver,
        prefix,
        account,
        data_start: i + 1,
    })
}

/// Writes `<LF>crc len` placeholder; returns the index where the body starts.
pub(crate) fn begin(out: &mut Vec<u8>) -> usize {
    out.push(LF);
    out.extend_from_slice(b"00000000");
    out.len()
}

/// Fills in CRC and length for the body written since `begin`, appends `<CR>`.
pub(crate) fn finish(out: &mut Vec<u8>, body_start: usize) {
    let body = &out[body_start..];
    let crc = crc16(body);
    let len = body.len() as u16;
    hex::write_u16(&mut out[body_start - 8..body_start - 4], crc);
    hex::write_u16(&mut out[body_start - 4..body_start], len);
    out.push(CR);
}

/// Appends the header fields up to and including `[`.
pub(crate) fn write_header(
    out: &mut Vec<u8>,
    token: Token,
    encrypted: bool,
    seq: u16,
    receiver: Option<&str>,
    prefix: &str,
    account: &str,
) {
    out.push(b'"');
    if encrypted {
        out.push(b'*');
    }
    out.extend_from_slice(token.as_str().as_bytes());
    out.push(b'"');
    let s = seq % 10_000;
    out.extend_from_slice(&[
        b'0' + (s / 1000) as u8,
        b'0' + (s / 100 % 10) as u8,
        b'0' + (s / 10 % 10) as u8,
        b'0' + (s % 10) as u8,
    ]);
    if let Some(r) = receiver {
        out.push(b'R');
        out.extend_from_slice(r.as_bytes());
    }
    out.push(b'L');
    out.extend_from_slice(prefix.as_bytes());
    if account.is_empty() && token == Token::Nak {
        out.extend_from_slice(b"A0");
    } else {
        out.push(b'#');
        out.extend_from_slice(account.as_bytes());
    }
    out.push(b'[');
}
