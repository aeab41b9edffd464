//! AES-128/192/256-CBC with an all-zero IV, as DC-09 prescribes, plus the
//! pad that precedes the data inside the encrypted part.
//!
//! Layout of an encrypted message after `[` (DC-09-2013 `[<pad>|...data...]`, matching
//! ioBroker.sia, dc09_spt and pysiaalarm):
//!
//! ```text
//! hex( AES-CBC( <pad> '|' <data> ']' [<ext>]... '_' HH:MM:SS,MM-DD-YYYY ) )
//! ```
//!
//! The pad is 1–16 bytes, never `|`, `[` or `]`, sized so the plaintext is a
//! whole number of 16-byte blocks; it doubles as the per-message randomiser
//! that the fixed zero IV cannot provide.

use aes::cipher::{
    BlockDecryptMut, BlockEncryptMut, InnerIvInit, KeyInit, block_padding::NoPadding,
};
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;

use crate::error::{DecodeError, EncodeError};
use crate::hex;

const IV: [u8; 16] = [0; 16];

/// Why a key could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not 16, 24 or 32 bytes (AES-128/192/256); carries the length given.
    #[error("AES key must be 16, 24 or 32 bytes, got {0}")]
    BadLength(usize),
    /// The hex form of the key is not hex.
    #[error("AES key hex string is not valid hex")]
    BadHex,
}

#[derive(Clone)]
enum Cipher {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

/// An AES key with its key schedule expanded once (cheap to use per frame).
#[derive(Clone)]
pub struct Key(Cipher);

impl Key {
    /// Raw key bytes: 16 → AES-128, 24 → AES-192, 32 → AES-256.
    ///
    /// pysiaalarm uses the ASCII bytes of its key string directly
    /// (`"AAAAAAAAAAAAAAAA"` is a 16-byte AES-128 key); use this
    /// constructor with `key.as_bytes()` to interoperate with it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Key, KeyError> {
        let c = match bytes.len() {
            16 => Cipher::A128(aes::Aes128::new_from_slice(bytes).expect("length checked")),
            24 => Cipher::A192(aes::Aes192::new_from_slice(bytes).expect("length checked")),
            32 => Cipher::A256(aes::Aes256::new_from_slice(bytes).expect("length checked")),
            n => return Err(KeyError::BadLength(n)),
        };
        Ok(Key(c))
    }

    /// Key written as hex (32/48/64 digits), the usual panel configuration form.
    pub fn from_hex(s: &str) -> Result<Key, KeyError> {
        let mut buf = [0u8; 32];
        let n = s.len() / 2;
        if !s.len().is_multiple_of(2) || n > 32 {
            return Err(KeyError::BadLength(n));
        }
        hex::decode(s.as_bytes(), &mut buf).map_err(|()| KeyError::BadHex)?;
        Key::from_bytes(&buf[..n])
    }

    /// Key size in bits (128, 192 or 256).
    pub fn bits(&self) -> u16 {
        match self.0 {
            Cipher::A128(_) => 128,
            Cipher::A192(_) => 192,
            Cipher::A256(_) => 256,
        }
    }

    /// Decrypts whole blocks in place.
    fn decrypt_in_place(&self, buf: &mut [u8]) {
        macro_rules! run {
            ($c:expr, $t:ty) => {
                cbc::Decryptor::<$t>::inner_iv_init($c.clone(), &IV.into())
                    .decrypt_padded_mut::<NoPadding>(buf)
                    .map(|_| ())
            };
        }
        let r = match &self.0 {
            Cipher::A128(c) => run!(c, aes::Aes128),
            Cipher::A192(c) => run!(c, aes::Aes192),
            Cipher::A256(c) => run!(c, aes::Aes256),
        };
        debug_assert!(r.is_ok(), "caller passes whole blocks");
    }

    /// Encrypts whole blocks in place.
    fn encrypt_in_place(&self, buf: &mut [u8]) {
        let len = buf.len();
        macro_rules! run {
            ($c:expr, $t:ty) => {
                cbc::Encryptor::<$t>::inner_iv_init($c.clone(), &IV.into())
                    .encrypt_padded_mut::<NoPadding>(buf, len)
                    .map(|_| ())
            };
        }
        let r = match &self.0 {
            Cipher::A128(c) => run!(c, aes::Aes128),
            Cipher::A192(c) => run!(c, aes::Aes192),
            Cipher::A256(c) => run!(c, aes::Aes256),
        };
        debug_assert!(r.is_ok(), "caller passes whole blocks");
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(AES-{}, redacted)", self.bits())
    }
}

/// Where decode finds the key for an account (the `#acct` of the header).
pub trait KeyLookup {
    /// The key of `account`, if it has one.
    fn key_for(&self, account: &str) -> Option<&Key>;
}

/// No keys: every encrypted frame fails with [`DecodeError::MissingKey`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeys;

impl KeyLookup for NoKeys {
    fn key_for(&self, _account: &str) -> Option<&Key> {
        None
    }
}

/// One key for every account (tests, benchmarks, single-panel setups).
#[derive(Debug, Clone)]
pub struct AnyAccount(pub Key);

impl KeyLookup for AnyAccount {
    fn key_for(&self, _account: &str) -> Option<&Key> {
        Some(&self.0)
    }
}

impl<S: BuildHasher> KeyLookup for HashMap<String, Key, S> {
    fn key_for(&self, account: &str) -> Option<&Key> {
        self.get(account)
    }
}

impl<T: KeyLookup + ?Sized> KeyLookup for &T {
    fn key_for(&self, account: &str) -> Option<&Key> {
        (**self).key_for(account)
    }
}

/// Supplies pad bytes for encrypted messages. Bytes must not be `|`, `[` or
/// `]` (the encoder checks). Any `FnMut(&mut [u8])` is a pad source, so the
/// bridge can plug in its own CSPRNG.
pub trait PadSource {
    /// Fills `out` with pad bytes.
    fn fill(&mut self, out: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> PadSource for F {
    fn fill(&mut self, out: &mut [u8]) {
        self(out)
    }
}

/// The same byte every time: deterministic frames for golden tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedPad(pub u8);

impl PadSource for FixedPad {
    fn fill(&mut self, out: &mut [u8]) {
        out.fill(self.0)
    }
}

/// Alphanumeric pad from a SplitMix64 stream. Seed it from the OS once (the
/// crate itself does no I/O); it varies ciphertexts, it is not a secret.
#[derive(Debug, Clone)]
pub struct SeededPad(u64);

impl SeededPad {
    /// A pad stream starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededPad(seed)
    }
}

impl PadSource for SeededPad {
    fn fill(&mut self, out: &mut [u8]) {
        const ALNUM: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        for o in out {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            *o = ALNUM[(z % 62) as usize];
        }
    }
}

/// Largest plaintext an encrypted body can carry (hex halves it).
pub(crate) const MAX_PLAIN: usize = crate::frame::MAX_BODY_LEN / 2;

/// Hex-decodes and decrypts `hex_text` into `buf`; returns the plaintext.
pub(crate) fn decrypt<'b>(
    key: &Key,
    hex_text: &[u8],
    buf: &'b mut [u8; MAX_PLAIN],
) -> Result<&'b [u8], DecodeError> {
    let n = hex_text.len() / 2;
    if !hex_text.len().is_multiple_of(32) || n == 0 || n > MAX_PLAIN {
        return Err(DecodeError::BadCiphertextLength(hex_text.len()));
    }
    hex::decode(hex_text, &mut buf[..n]).map_err(|()| DecodeError::BadHex)?;
    key.decrypt_in_place(&mut buf[..n]);
    Ok(&buf[..n])
}

/// Pad length for `rest_len` plaintext bytes after the pad: 1..=16.
pub(crate) fn pad_len(rest_len: usize) -> usize {
    16 - rest_len % 16
}

/// Fills `plain[..pad]` from `pad_source`, encrypts `plain` (whole blocks),
/// and appends it upper-case hex to `out`.
pub(crate) fn seal(
    key: &Key,
    plain: &mut [u8],
    pad: usize,
    pad_source: &mut dyn PadSource,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    pad_source.fill(&mut plain[..pad]);
    if plain[..pad].iter().any(|b| matches!(b, b'|' | b'[' | b']')) {
        return Err(EncodeError::BadPadByte);
    }
    debug_assert_eq!(plain.len() % 16, 0);
    key.encrypt_in_place(plain);
    hex::encode_upper(plain, out);
    Ok(())
}

/// Splits decrypted plaintext into (pad, rest): the pad ends at the first `|`
/// (consumed) or `]` (kept: empty data, as pysiaalarm's ACKs do).
pub(crate) fn strip_pad(plain: &[u8]) -> Result<&[u8], DecodeError> {
    let end = plain
        .iter()
        .position(|b| matches!(b, b'|' | b'[' | b']'))
        .ok_or(DecodeError::BadPadding)?;
    match plain[end] {
        b'|' => Ok(&plain[end + 1..]),
        b']' => Ok(&plain[end..]),
        _ => Err(DecodeError::BadPadding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_sizes() {
        assert_eq!(Key::from_bytes(&[0; 16]).unwrap().bits(), 128);
        assert_eq!(Key::from_bytes(&[0; 24]).unwrap().bits(), 192);
        assert_eq!(Key::from_bytes(&[0; 32]).unwrap().bits(), 256);
        assert_eq!(
            Key::from_bytes(&[0; 20]).unwrap_err(),
            KeyError::BadLength(20)
        );
        assert_eq!(Key::from_hex(&"ab".repeat(16)).unwrap().bits(), 128);
        assert_eq!(Key::from_hex(&"AB".repeat(32)).unwrap().bits(), 256);
        assert_eq!(
            Key::from_hex("zz".repeat(16).as_str()).unwrap_err(),
            KeyError::BadHex
        );
        assert_eq!(Key::from_hex("abc").unwrap_err(), KeyError::BadLength(1));
        assert!(Key::from_hex(&"ab".repeat(33)).is_err());
        assert_eq!(
            format!("{:?}", Key::from_bytes(&[7; 16]).unwrap()),
            "Key(AES-128, redacted)"
        );
    }

    #[test]
    fn fips197_aes128_block() {
        // FIPS-197 C.1; with a zero IV, CBC's first block is plain AES.
        let key = Key::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let mut block = [0u8; 16];
        hex::decode(b"00112233445566778899aabbccddeeff", &mut block).unwrap();
        key.encrypt_in_place(&mut block);
        let mut out = Vec::new();
        hex::encode_upper(&block, &mut out);
        assert_eq!(out, b"69C4E0D86A7B0430D8CDB78070B4C55A");
        key.decrypt_in_place(&mut block);
        assert_eq!(block[0], 0x00);
        assert_eq!(block[15], 0xff);
    }

    #[test]
    fn pad_rules() {
        assert_eq!(pad_len(0), 16);
        assert_eq!(pad_len(1), 15);
        assert_eq!(pad_len(16), 16);
        assert_eq!(pad_len(17), 15);
        assert_eq!(strip_pad(b"xyz|#1|ab]"), Ok(&b"#1|ab]"[..]));
        assert_eq!(strip_pad(b"000]_ts"), Ok(&b"]_ts"[..]));
        assert_eq!(strip_pad(b"\x00\xff\r|]"), Ok(&b"]"[..]));
        assert_eq!(strip_pad(b"ab[|]"), Err(DecodeError::BadPadding));
        assert_eq!(strip_pad(b"abc"), Err(DecodeError::BadPadding));
        let mut p = SeededPad::new(1);
        let mut buf = [0u8; 4096];
        p.fill(&mut buf);
        assert!(buf.iter().all(u8::is_ascii_alphanumeric));
        let mut q = SeededPad::new(2);
        let mut other = [0u8; 16];
        q.fill(&mut other);
        assert_ne!(&buf[..16], &other);
    }
}
