//! Upper-case hex helpers for the CRC/length fields and the encrypted part.
//! (Plain table lookups; the crypto itself comes from RustCrypto.)

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

#[inline]
fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Parses exactly four hex digits (either case).
pub(crate) fn parse_u16(b: &[u8]) -> Option<u16> {
    if b.len() != 4 {
        return None;
    }
    b.iter()
        .try_fold(0u16, |acc, &c| Some(acc << 4 | u16::from(nibble(c)?)))
}

/// Writes `v` as four upper-case hex digits into `out[..4]`.
pub(crate) fn write_u16(out: &mut [u8], v: u16) {
    for (i, o) in out[..4].iter_mut().enumerate() {
        *o = DIGITS[usize::from((v >> (12 - 4 * i)) & 0xF)];
    }
}

/// Decodes `src` (even length, either case) into `dst[..src.len() / 2]`.
pub(crate) fn decode(src: &[u8], dst: &mut [u8]) -> Result<(), ()> {
    if !src.len().is_multiple_of(2) || dst.len() < src.len() / 2 {
        return Err(());
    }
    for (pair, d) in src.chunks_exact(2).zip(dst.iter_mut()) {
        *d = nibble(pair[0]).ok_or(())? << 4 | nibble(pair[1]).ok_or(())?;
    }
    Ok(())
}

/// Appends `src` as upper-case hex.
pub(crate) fn encode_upper(src: &[u8], out: &mut Vec<u8>) {
    out.reserve(src.len() * 2);
    for &b in src {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0xF)]);
    }
}
