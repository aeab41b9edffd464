//! `cargo +nightly fuzz run decode` (from device-bridge/dc09/fuzz's parent).
//! Arbitrary bytes must never panic decode, the stream scanner or the error
//! reply; whatever decodes must re-encode and decode to the same message.
//! Each input is tried as a raw frame and, so mutations get past the CRC,
//! also as a body wrapped in a correct `<LF>crc 0LLL … <CR>`.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use safetynet_dc09::{
    crc16, decode, decode_unchecked, encode, reply_to_error, scan, FixedPad, Key, KeyLookup, Scan,
};

fn keys() -> &'static HashMap<String, Key> {
    static KEYS: OnceLock<HashMap<String, Key>> = OnceLock::new();
    KEYS.get_or_init(|| {
        HashMap::from([
            (
                "5678".to_owned(),
                Key::from_hex("000102030405060708090A0B0C0D0E0F").unwrap(),
            ),
            (
                "0099".to_owned(),
                Key::from_hex("8E73B0F7DA0E6452C810F32B809079E562F8EAD2522C6B7B").unwrap(),
            ),
            (
                "ABC1".to_owned(),
                Key::from_hex("603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4")
                    .unwrap(),
            ),
            (
                "1111".to_owned(),
                Key::from_bytes(b"AAAAAAAAAAAAAAAA").unwrap(),
            ),
        ])
    })
}

fn check(data: &[u8]) {
    let now = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
    let keys = keys();
    match scan(data) {
        Scan::Frame { len } => assert!(len <= data.len()),
        Scan::Skip(n) => assert!(n >= 1 && n <= data.len()),
        Scan::NeedMore => {}
    }
    match decode(data, keys, now) {
        Ok(_) => {}
        Err(e) => {
            let reply = reply_to_error(data, &e, now);
            assert!(reply.starts_with(b"\n") && reply.ends_with(b"\r"));
        }
    }
    if let Ok(m) = decode_unchecked(data, keys) {
        let key = keys
            .key_for(&m.header.account)
            .filter(|_| m.header.encrypted);
        if let Ok(again) = encode(&m, key, &mut FixedPad(b'x')) {
            assert_eq!(decode_unchecked(&again, keys).unwrap(), m);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() <= 0xFFF {
        let mut framed = format!("\n{:04X}{:04X}", crc16(data), data.len()).into_bytes();
        framed.extend_from_slice(data);
        framed.push(b'\r');
        check(&framed);
    }
});
