//! Decode and encode errors, and which response each decode error earns.

use crate::time::TimeError;

/// What the receiver should answer to a frame that failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `"NAK"0000R0L0A0[]_<our time>`: the frame was damaged (CRC, length,
    /// unreadable header) or its timestamp is missing/invalid/outside the
    /// window. The panel retransmits and can resynchronise its clock.
    Nak,
    /// `"DUH"seq Rrcvr Lpref #acct[]`: the frame arrived intact (CRC and
    /// length good, header readable) but cannot be processed: unknown token,
    /// no key, undecryptable, or data we do not understand. Retrying the same
    /// frame will not help.
    Duh,
}

/// Why a frame was rejected. Each variant is distinct so the receiver can log
/// precisely; [`DecodeError::reply`] says whether to NAK or DUH.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Shorter than the smallest possible frame.
    #[error("frame too short")]
    TooShort,
    /// The CRC field is not four hex digits.
    #[error("CRC field is not 4 hex digits")]
    BadCrcField,
    /// The length field is not `0` and three hex digits.
    #[error("length field is not 4 hex digits")]
    BadLengthField,
    /// The length field disagrees with the body received.
    #[error("length field says {declared} bytes, body has {actual}")]
    BadLength {
        /// The length the field gives.
        declared: usize,
        /// The body's real length.
        actual: usize,
    },
    /// The CRC does not match the body: the frame was damaged.
    #[error("CRC mismatch: frame says {declared:04X}, computed {computed:04X}")]
    BadCrc {
        /// The CRC the frame carries.
        declared: u16,
        /// The CRC of the body received.
        computed: u16,
    },
    /// The header (ID token, sequence, receiver, prefix, account) cannot be read; says which part.
    #[error("malformed header: {0}")]
    BadHeader(&'static str),
    /// The ID token is not one this receiver handles.
    #[error("unknown ID token")]
    UnknownToken,
    /// The frame is encrypted but no key is configured for its account.
    #[error("encrypted frame but no key for this account")]
    MissingKey,
    /// The frame is in the clear, but its account has a key, so it must be encrypted.
    #[error("plain frame for an account that has a key configured")]
    EncryptionRequired,
    /// The encrypted part is not hex.
    #[error("encrypted part is not valid hex")]
    BadHex,
    /// The encrypted part is not whole AES blocks; carries its length in hex digits.
    #[error("encrypted part has {0} hex digits, not a positive multiple of 32")]
    BadCiphertextLength(usize),
    /// The decrypted text has no valid pad before `[`: most likely the wrong key.
    #[error("no valid pad before the data (wrong key?)")]
    BadPadding,
    /// The data (`[…]`) or extended data cannot be read; says which part.
    #[error("malformed data: {0}")]
    BadData(&'static str),
    /// An encrypted frame has no timestamp, which DC-09 requires.
    #[error("encrypted frame without timestamp")]
    MissingTimestamp,
    /// The timestamp is not `_HH:MM:SS,MM-DD-YYYY`.
    #[error("timestamp is not _HH:MM:SS,MM-DD-YYYY")]
    BadTimestamp,
    /// The timestamp is outside the accepted window.
    #[error(transparent)]
    Time(#[from] TimeError),
}

impl DecodeError {
    /// The response DC-09 calls for.
    pub fn reply(&self) -> Reply {
        use DecodeError::*;
        match self {
            TooShort
            | BadCrcField
            | BadLengthField
            | BadLength { .. }
            | BadCrc { .. }
            | BadHeader(_) => Reply::Nak,
            MissingTimestamp | BadTimestamp | Time(_) => Reply::Nak,
            UnknownToken
            | MissingKey
            | EncryptionRequired
            | BadHex
            | BadCiphertextLength(_)
            | BadPadding
            | BadData(_) => Reply::Duh,
        }
    }
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Encryption was asked for without a key.
    #[error("encrypted message needs a key")]
    MissingKey,
    /// Encryption was asked for without a timestamp.
    #[error("encrypted message needs a timestamp")]
    MissingTimestamp,
    /// A field cannot be put in a frame (bad characters or length); names it.
    #[error("invalid field: {0}")]
    InvalidField(&'static str),
    /// The pad source gave a byte the pad may not contain.
    #[error("pad source produced '|', '[' or ']'")]
    BadPadByte,
    /// The body is longer than the length field can say (4095 bytes).
    #[error("body of {0} bytes exceeds the 0LLL limit of 4095")]
    TooLong(usize),
}
