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
    #[error("frame too short")]
    TooShort,
    #[error("CRC field is not 4 hex digits")]
    BadCrcField,
    #[error("length field is not 4 hex digits")]
    BadLengthField,
    #[error("length field says {declared} bytes, body has {actual}")]
    BadLength { declared: usize, actual: usize },
    #[error("CRC mismatch: frame says {declared:04X}, computed {computed:04X}")]
    BadCrc { declared: u16, computed: u16 },
    #[error("malformed header: {0}")]
    BadHeader(&'static str),
    #[error("unknown ID token")]
    UnknownToken,
    #[error("encrypted frame but no key for this account")]
    MissingKey,
    #[error("plain frame for an account that has a key configured")]
    EncryptionRequired,
    #[error("encrypted part is not valid hex")]
    BadHex,
    #[error("encrypted part has {0} hex digits, not a positive multiple of 32")]
    BadCiphertextLength(usize),
    #[error("no valid pad before the data (wrong key?)")]
    BadPadding,
    #[error("malformed data: {0}")]
    BadData(&'static str),
    #[error("encrypted frame without timestamp")]
    MissingTimestamp,
    #[error("timestamp is not _HH:MM:SS,MM-DD-YYYY")]
    BadTimestamp,
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
    #[error("encrypted message needs a key")]
    MissingKey,
    #[error("encrypted message needs a timestamp")]
    MissingTimestamp,
    #[error("invalid field: {0}")]
    InvalidField(&'static str),
    #[error("pad source produced '|', '[' or ']'")]
    BadPadByte,
    #[error("body of {0} bytes exceeds the 0LLL limit of 4095")]
    TooLong(usize),
}
