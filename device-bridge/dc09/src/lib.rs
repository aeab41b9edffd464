//! SIA DC-09 (ANSI/SIA DC-09-2013) for the Safety Net device bridge: framing,
//! CRC-16/ARC, AES-128/192/256-CBC, Contact ID (`ADM-CID`) and SIA
//! (`SIA-DCS`) data, the timestamp window, and ACK/NAK/DUH responses.
//!
//! Pure logic: no sockets, files or clocks. The bridge's TCP/UDP receiver
//! passes frames and the current time in and writes the returned bytes out.
//!
//! ```text
//! <LF><crc:4 hex><0LLL:4 hex>"[*]ID"<seq:4 digits>[R<rcvr>]L<pref>#<acct>[<data>][<ext>]...[_HH:MM:SS,MM-DD-YYYY]<CR>
//! ```
//! CRC and length cover everything from the opening `"` to the byte before `<CR>`.
//! Encrypted (`*`) messages replace everything after `[` with
//! `hex(AES-CBC(<pad>|<data>][<ext>]..._<timestamp>))`, IV all zeros; see [`crypto`].
//!
//! Choices where the spec leaves room (details on the items named):
//! - Replies ([`Reply`]): damaged frames (CRC, length, unreadable header) and
//!   timestamp problems get NAK with our time; intact frames we cannot process
//!   (unknown token, no key, bad hex/ciphertext/pad, unparseable data) get DUH
//!   echoing seq/receiver/prefix/account. DUH and NAK are never encrypted.
//!   Valid messages with unmapped codes are ACKed ([`Report::Unmapped`]).
//! - A plain event frame for an account that has a key is refused
//!   ([`DecodeError::EncryptionRequired`], DUH): no downgrade to plain text.
//! - Encrypted pad: 1–16 bytes before a `|`, never `|[]`; on input any pad
//!   length is accepted and a missing `|` before `]` is tolerated (pysiaalarm).
//! - Input may lack the leading LF / trailing CR; hex may be either case;
//!   output is always upper case with LF and CR.
//!
//! Receiving, in outline:
//! ```no_run
//! # use safetynet_dc09::*;
//! # fn f(buf: &[u8], keys: &std::collections::HashMap<String, Key>, now: chrono::DateTime<chrono::Utc>, pad: &mut SeededPad) {
//! if let Scan::Frame { len } = scan(buf) {
//!     let frame = &buf[..len];
//!     let reply = match decode(frame, keys, now) {
//!         Ok(msg) => {
//!             // … persist msg.reports() for msg.header.account, then:
//!             ack(&msg.header, keys.key_for(&msg.header.account), now, pad).unwrap()
//!         }
//!         Err(e) => reply_to_error(frame, &e, now),
//!     };
//! }
//! # }
//! ```

mod account;
pub mod cid;
pub mod crypto;
mod error;
pub mod frame;
mod hex;
mod message;
pub mod report;
pub mod response;
pub mod sia;
pub mod time;

pub use cid::{ContactId, Qualifier};
pub use crypto::{AnyAccount, FixedPad, Key, KeyError, KeyLookup, NoKeys, PadSource, SeededPad};
pub use error::{DecodeError, EncodeError, Reply};
pub use frame::{Header, Scan, Token, crc16, scan};
pub use message::{Message, Payload, decode, decode_unchecked, encode, encode_into};
pub use report::{Code, EventKind, Report};
pub use response::{ack, duh, nak, reply_to_error};
pub use sia::{SiaCode, SiaData, SiaEvent};
pub use time::{TimeError, check_time, format_timestamp, parse_timestamp};
