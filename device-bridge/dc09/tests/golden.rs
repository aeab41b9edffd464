//! Golden frames, computed independently (Python + pyca/cryptography, CRC-16/ARC
//! written from the definition) and cross-checked with pysiaalarm's parser;
//! plus known answers published by other DC-09 implementations.

use chrono::{DateTime, TimeZone, Utc};
use safetynet_dc09::*;
use std::collections::HashMap;

fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

const K128: &str = "000102030405060708090A0B0C0D0E0F";
const K192: &str = "8E73B0F7DA0E6452C810F32B809079E562F8EAD2522C6B7B";
const K256: &str = "603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4";

fn keys() -> HashMap<String, Key> {
    HashMap::from([
        ("5678".to_owned(), Key::from_hex(K128).unwrap()),
        ("0099".to_owned(), Key::from_hex(K192).unwrap()),
        ("ABC1".to_owned(), Key::from_hex(K256).unwrap()),
        (
            "1111".to_owned(),
            Key::from_bytes(b"AAAAAAAAAAAAAAAA").unwrap(),
        ),
    ])
}

const G1: &[u8] = b"\n23A1003D\"ADM-CID\"0001R1L1#1234[#1234|1110 01 003]_12:34:56,01-15-2025\r";
const G2: &[u8] = b"\nF7D80025\"SIA-DCS\"0002L0#12AB[#12AB|Nri1/FA01]\r";
const G3: &[u8] = b"\n3F1D0029\"NULL\"0003R0L0#1234[]_12:34:56,01-15-2025\r";
const G4: &[u8] = b"\n39240079\"*ADM-CID\"0042R12L3#5678[00C11415C17E8E2A4F61E1A7233980BD09A1F67A8E60353E9D7387AB9873A188C35C8D6E501BE7E90ADCF78AC8FEC268\r";
const G5: &[u8] = b"\n06410096\"*SIA-DCS\"9999L0#ABC1[04E12AA261926FD009B4CFBD1258F4723AE37F2AAC547FC9FFA3AF2D65EEA5E2ACC29B5B50B192E0E72562861DEE707C8D0C6D837260C0A319930B2C0039464C\r";
const G6: &[u8] = b"\n43EB0055\"*NULL\"0007R1L1#0099[7F5D78280A968A1D5A7267A1C0B31949C80046B4F14D65D6F6FB5540562E131A\r";
const G7: &[u8] = b"\nC8170076\"*SIA-DCS\"7654L0#1111[C07DA1EB73C617857476EE5D79436CEE74637C20DB2A9FC745596BD61137192BC6F458A489BAD98FEA711179BDEC673A\r";
const ACK1: &[u8] = b"\nD2770014\"ACK\"0001R1L1#1234[]\r";
const NAK: &[u8] = b"\n94AC0025\"NAK\"0000R0L0A0[]_12:35:00,01-15-2025\r";
const DUH2: &[u8] = b"\n88150012\"DUH\"0002L0#12AB[]\r";
const ACK4: &[u8] = b"\nA0030055\"*ACK\"0042R12L3#5678[6BF82B170240789ABB10A6C37218C363CBBC363D23EECF125A32B794F7C908D9\r";
const ENC_NO_TS: &[u8] = b"\nE4530059\"*ADM-CID\"0042R12L3#5678[A377E43FD508B4E3398E17AB65445F84A9512B838C06EDD728887A4486B979F4\r";
const ENC_BAD_PAD: &[u8] = b"\n55700079\"*ADM-CID\"0042R12L3#5678[B94C8055F2A645CAFDF3F491099C76AF4A1390E72C1B8A2C1E6F83863F7CDCAC5768293F50564FB483862802C5E92DC4\r";
const ENC_BAD_HEX: &[u8] = b"\n396F0079\"*ADM-CID\"0042R12L3#5678[G0C11415C17E8E2A4F61E1A7233980BD09A1F67A8E60353E9D7387AB9873A188C35C8D6E501BE7E90ADCF78AC8FEC268\r";
const ENC_SHORT: &[u8] = b"\nA4470077\"*ADM-CID\"0042R12L3#5678[00C11415C17E8E2A4F61E1A7233980BD09A1F67A8E60353E9D7387AB9873A188C35C8D6E501BE7E90ADCF78AC8FEC2\r";
const UNKNOWN_TOKEN: &[u8] = b"\nE9400018\"XYZ-ABC\"0005R1L1#1234[]\r";
const DUH_UNKNOWN: &[u8] = b"\n6D5E0014\"DUH\"0005R1L1#1234[]\r";

fn reencode(msg: &Message, pad: u8) -> Vec<u8> {
    let keys = keys();
    let key = keys.get(&msg.header.account);
    encode(
        msg,
        key.filter(|_| msg.header.encrypted),
        &mut FixedPad(pad),
    )
    .unwrap()
}

// ---------- CRC known answers ----------

#[test]
fn crc16_arc_check_value() {
    assert_eq!(crc16(b"123456789"), 0xBB3D);
    assert_eq!(crc16(b""), 0x0000);
}

#[test]
fn crc_and_length_from_other_implementations() {
    // fioletoven/dc09 test vectors (Rust), and two frames captured from real
    // panels (pysiaalarm issues #11 and #42). pysiaalarm's copy lost runs of
    // spaces inside ^text^; the originals below are the only spacing for which
    // the panels' own CRC and 0LLL length (0x4D) both match.
    assert_eq!(
        crc16(br#""SIA-DCS"0001RF3L77#1234[#1234|NRR|Atest]"#),
        0xF4D2
    );
    assert_eq!(crc16(br#""SIA-DCS"0001L0#1234[]"#), 0x96ED);
    for frame in [
        &b"9618004D\"SIA-DCS\"7960L0#123456[#123456|Nri1CL0^VX FRONTE       ^]_22:40:48,04-11-2021"
            [..],
        &b"5670004D\"SIA-DCS\"8070L0#123456[#123456|Nri0KR1^TAST.  001      ^]_13:49:12,04-13-2021"
            [..],
    ] {
        let m = decode_unchecked(frame, &NoKeys).unwrap();
        assert_eq!(m.header.account, "123456");
        assert!(m.timestamp.is_some());
    }
    let m = decode_unchecked(
        b"\n9618004D\"SIA-DCS\"7960L0#123456[#123456|Nri1CL0^VX FRONTE       ^]_22:40:48,04-11-2021\r",
        &NoKeys,
    )
    .unwrap();
    let Payload::Sia(s) = &m.payload else {
        panic!()
    };
    assert_eq!(s.events[0].code.as_str(), "CL");
    assert_eq!(s.events[0].area, Some(1));
    assert_eq!(s.events[0].address, Some(0));
    assert_eq!(s.events[0].text.as_deref(), Some("VX FRONTE       "));
    assert_eq!(m.timestamp, Some(t(2021, 4, 11, 22, 40, 48)));
}

// ---------- golden decodes + byte-identical re-encode ----------

#[test]
fn g1_plain_adm_cid() {
    let m = decode(G1, &keys(), t(2025, 1, 15, 12, 35, 0)).unwrap();
    assert_eq!(m.header.token, Token::AdmCid);
    assert!(!m.header.encrypted);
    assert_eq!(m.header.seq, 1);
    assert_eq!(m.header.receiver.as_deref(), Some("1"));
    assert_eq!(m.header.prefix, "1");
    assert_eq!(m.header.account, "1234");
    assert_eq!(m.timestamp, Some(t(2025, 1, 15, 12, 34, 56)));
    assert_eq!(
        m.payload,
        Payload::ContactId(ContactId::new(Qualifier::New, 110, 1, 3).with_account("1234"))
    );
    assert_eq!(m.reports(), vec![Report::Event(EventKind::Fire)]);
    assert_eq!(reencode(&m, b'x'), G1);
}

#[test]
fn g2_plain_sia_dcs_without_timestamp() {
    let m = decode(G2, &keys(), t(2000, 1, 1, 0, 0, 0)).unwrap();
    assert_eq!(m.header.token, Token::SiaDcs);
    assert_eq!((m.header.seq, m.header.receiver.as_deref()), (2, None));
    assert_eq!(
        (m.header.prefix.as_str(), m.header.account.as_str()),
        ("0", "12AB")
    );
    assert_eq!(m.timestamp, None);
    let Payload::Sia(s) = &m.payload else {
        panic!("{:?}", m.payload)
    };
    assert_eq!(s.account.as_deref(), Some("12AB"));
    assert_eq!(s.body, "Nri1/FA01");
    assert_eq!(s.events.len(), 1);
    assert_eq!(
        (s.events[0].code, s.events[0].area, s.events[0].address),
        (SiaCode(*b"FA"), Some(1), Some(1))
    );
    assert_eq!(m.reports(), vec![Report::Event(EventKind::Fire)]);
    assert_eq!(reencode(&m, b'x'), G2);
}

#[test]
fn g3_plain_null() {
    let m = decode(G3, &keys(), t(2025, 1, 15, 12, 34, 56)).unwrap();
    assert_eq!(m.header.token, Token::Null);
    assert_eq!(m.header.receiver.as_deref(), Some("0"));
    assert_eq!(m.payload, Payload::Empty);
    assert!(m.reports().is_empty());
    assert_eq!(reencode(&m, b'x'), G3);
}

#[test]
fn g4_aes128_adm_cid() {
    let m = decode(G4, &keys(), t(2025, 3, 1, 8, 0, 10)).unwrap();
    assert_eq!(m.header.token, Token::AdmCid);
    assert!(m.header.encrypted);
    assert_eq!(m.header.seq, 42);
    assert_eq!(m.header.receiver.as_deref(), Some("12"));
    assert_eq!(m.header.prefix, "3");
    assert_eq!(m.header.account, "5678");
    assert_eq!(m.timestamp, Some(t(2025, 3, 1, 8, 0, 0)));
    assert_eq!(
        m.payload,
        Payload::ContactId(ContactId::new(Qualifier::New, 100, 2, 15).with_account("5678"))
    );
    assert_eq!(m.reports(), vec![Report::Event(EventKind::EmergencyCall)]);
    assert_eq!(reencode(&m, b'x'), G4);
}

#[test]
fn g5_aes256_sia_with_text_and_extended_data() {
    let m = decode(G5, &keys(), t(2025, 1, 1, 0, 0, 41)).unwrap_err();
    assert_eq!(m, DecodeError::Time(TimeError::TooOld { behind_secs: 42 }));
    let m = decode(G5, &keys(), t(2024, 12, 31, 23, 59, 59)).unwrap();
    assert_eq!(m.header.token, Token::SiaDcs);
    assert!(m.header.encrypted);
    assert_eq!(m.header.seq, 9999);
    assert_eq!(m.header.account, "ABC1");
    assert_eq!(m.extended, vec!["Vhttp://cam/1".to_owned()]);
    let Payload::Sia(s) = &m.payload else {
        panic!()
    };
    assert_eq!(s.body, "Nri2/PA003^Pendant^");
    assert_eq!(s.events[0].code.as_str(), "PA");
    assert_eq!(s.events[0].area, Some(2));
    assert_eq!(s.events[0].address, Some(3));
    assert_eq!(s.events[0].text.as_deref(), Some("Pendant"));
    assert_eq!(m.reports(), vec![Report::Event(EventKind::EmergencyCall)]);
    assert_eq!(reencode(&m, b'x'), G5);
}

#[test]
fn g6_aes192_null() {
    let m = decode(G6, &keys(), t(2024, 2, 29, 0, 0, 30)).unwrap();
    assert_eq!(m.header.token, Token::Null);
    assert!(m.header.encrypted);
    assert_eq!(m.header.account, "0099");
    assert_eq!(m.timestamp, Some(t(2024, 2, 29, 0, 0, 0)));
    assert_eq!(m.payload, Payload::Empty);
    assert_eq!(reencode(&m, b'x'), G6);
}

#[test]
fn g7_pysiaalarm_style_zero_pad_ascii_key() {
    let m = decode_unchecked(G7, &keys()).unwrap();
    assert_eq!(m.header.account, "1111");
    let Payload::Sia(s) = &m.payload else {
        panic!()
    };
    assert_eq!(s.account, None);
    assert_eq!(s.body, "Nri1/RP000");
    assert_eq!(m.reports(), vec![Report::Event(EventKind::Heartbeat)]);
    assert_eq!(reencode(&m, b'0'), G7);
}

// ---------- integrity errors ----------

fn with_byte(frame: &[u8], i: usize, b: u8) -> Vec<u8> {
    let mut f = frame.to_vec();
    f[i] = b;
    f
}

#[test]
fn tampered_crc_and_length_are_rejected_with_nak() {
    let now = t(2025, 1, 15, 12, 35, 0);
    let e = decode(&with_byte(G1, 1, b'0'), &keys(), now).unwrap_err();
    assert_eq!(
        e,
        DecodeError::BadCrc {
            declared: 0x03A1,
            computed: 0x23A1
        }
    );
    assert_eq!(e.reply(), Reply::Nak);
    // Length one short.
    let e = decode(&with_byte(G1, 8, b'C'), &keys(), now).unwrap_err();
    assert_eq!(
        e,
        DecodeError::BadLength {
            declared: 0x3C,
            actual: 0x3D
        }
    );
    assert_eq!(e.reply(), Reply::Nak);
    // A flipped body byte (zone 003 -> 004).
    let i = G1.windows(4).position(|w| w == b"003]").unwrap() + 2;
    let e = decode(&with_byte(G1, i, b'4'), &keys(), now).unwrap_err();
    assert!(matches!(e, DecodeError::BadCrc { .. }));
    // Flipped ciphertext digit.
    let e = decode(&with_byte(G4, 40, G4[40] ^ 1), &keys(), now).unwrap_err();
    assert!(matches!(e, DecodeError::BadCrc { .. }));
    // Truncated frame, non-hex fields.
    assert_eq!(decode(b"\n12\r", &keys(), now), Err(DecodeError::TooShort));
    assert_eq!(
        decode(&with_byte(G1, 2, b'G'), &keys(), now),
        Err(DecodeError::BadCrcField)
    );
    assert_eq!(
        decode(&with_byte(G1, 6, b'x'), &keys(), now),
        Err(DecodeError::BadLengthField)
    );
    assert_eq!(reply_to_error(G1, &DecodeError::TooShort, now), nak(now));
}

#[test]
fn lf_and_cr_are_optional_on_input() {
    let bare = &G1[1..G1.len() - 1];
    assert_eq!(
        decode_unchecked(bare, &NoKeys),
        decode_unchecked(G1, &NoKeys)
    );
}

// ---------- processing errors (DUH) ----------

#[test]
fn encrypted_processing_errors_are_distinct_and_duh() {
    let now = t(2025, 3, 1, 8, 0, 0);
    let k = keys();
    let cases: [(&[u8], DecodeError); 5] = [
        (G4, DecodeError::MissingKey),
        (ENC_BAD_HEX, DecodeError::BadHex),
        (ENC_SHORT, DecodeError::BadCiphertextLength(94)),
        (ENC_BAD_PAD, DecodeError::BadPadding),
        (UNKNOWN_TOKEN, DecodeError::UnknownToken),
    ];
    for (i, (frame, want)) in cases.into_iter().enumerate() {
        let got = if i == 0 {
            decode(frame, &NoKeys, now)
        } else {
            decode(frame, &k, now)
        };
        assert_eq!(got, Err(want.clone()), "case {i}");
        assert_eq!(want.reply(), Reply::Duh);
    }
    // Wrong key: garbage plaintext is refused, never mis-parsed.
    let wrong = AnyAccount(Key::from_hex(K256).unwrap());
    assert_eq!(decode(G4, &wrong, now).unwrap_err().reply(), Reply::Duh);
    // Missing timestamp in an encrypted frame -> NAK (carries our time).
    let e = decode(ENC_NO_TS, &k, now).unwrap_err();
    assert_eq!(e, DecodeError::MissingTimestamp);
    assert_eq!(e.reply(), Reply::Nak);
}

#[test]
fn plain_frame_for_keyed_account_is_refused() {
    let k = AnyAccount(Key::from_hex(K128).unwrap());
    let e = decode_unchecked(G1, &k).unwrap_err();
    assert_eq!(e, DecodeError::EncryptionRequired);
    assert_eq!(e.reply(), Reply::Duh);
}

#[test]
fn duh_for_unknown_token_echoes_the_header() {
    let now = t(2025, 1, 1, 0, 0, 0);
    let e = decode(UNKNOWN_TOKEN, &NoKeys, now).unwrap_err();
    assert_eq!(reply_to_error(UNKNOWN_TOKEN, &e, now), DUH_UNKNOWN);
}

// ---------- time window ----------

#[test]
fn stale_and_future_timestamps_are_classified() {
    let ts = t(2025, 1, 15, 12, 34, 56);
    let k = keys();
    let at = |secs: i64| decode(G1, &k, ts + chrono::TimeDelta::seconds(secs));
    assert!(at(40).is_ok());
    assert_eq!(
        at(41),
        Err(DecodeError::Time(TimeError::TooOld { behind_secs: 41 }))
    );
    assert!(at(-20).is_ok());
    assert_eq!(
        at(-21),
        Err(DecodeError::Time(TimeError::TooNew { ahead_secs: 21 }))
    );
    assert_eq!(at(41).unwrap_err().reply(), Reply::Nak);
    // Sub-second part of our clock is ignored (wire resolution is 1 s).
    let now = ts + chrono::TimeDelta::milliseconds(40_900);
    assert!(decode(G1, &k, now).is_ok());
    // Plain frame without timestamp: nothing to check.
    assert!(decode(G2, &k, t(1999, 1, 1, 0, 0, 0)).is_ok());
}

// ---------- responses ----------

#[test]
fn ack_plain_echoes_header_without_timestamp() {
    let m = decode_unchecked(G1, &NoKeys).unwrap();
    let a = ack(
        &m.header,
        None,
        t(2025, 1, 15, 12, 35, 0),
        &mut FixedPad(b'x'),
    )
    .unwrap();
    assert_eq!(a, ACK1);
    // Hand-computed layout: LF, CRC, 0014 (= 20 bytes), body, CR.
    assert_eq!(&a[5..9], b"0014");
    assert_eq!(&a[9..a.len() - 1], br#""ACK"0001R1L1#1234[]"#);
}

#[test]
fn ack_encrypted_uses_star_ack_and_same_key() {
    let k = keys();
    let m = decode_unchecked(G4, &k).unwrap();
    let now = t(2025, 3, 1, 8, 0, 5);
    let a = ack(&m.header, k.get("5678"), now, &mut FixedPad(b'x')).unwrap();
    assert_eq!(a, ACK4);
    assert_eq!(
        ack(&m.header, None, now, &mut FixedPad(b'x')),
        Err(EncodeError::MissingKey)
    );
    let back = decode(&a, &k, now).unwrap();
    assert_eq!(back.header.token, Token::Ack);
    assert!(back.header.encrypted);
    assert_eq!(
        (back.header.seq, back.header.account.as_str()),
        (42, "5678")
    );
    assert_eq!(back.timestamp, Some(now));
    assert_eq!(back.payload, Payload::Empty);
}

#[test]
fn nak_layout() {
    let n = nak(t(2025, 1, 15, 12, 35, 0));
    assert_eq!(n, NAK);
    assert_eq!(&n[5..9], b"0025"); // 37 bytes
    // Published vector from fioletoven/dc09.
    assert_eq!(
        nak(t(2025, 9, 24, 16, 20, 1)),
        b"\nE4410025\"NAK\"0000R0L0A0[]_16:20:01,09-24-2025\r"
    );
    let back = decode_unchecked(&n, &NoKeys).unwrap();
    assert_eq!(back.header.token, Token::Nak);
    assert_eq!(
        (back.header.seq, back.header.receiver.as_deref()),
        (0, Some("0"))
    );
    assert_eq!(
        (back.header.prefix.as_str(), back.header.account.as_str()),
        ("0", "")
    );
    assert_eq!(encode(&back, None, &mut FixedPad(b'x')).unwrap(), n);
}

#[test]
fn duh_layout() {
    let m = decode_unchecked(G2, &NoKeys).unwrap();
    let d = duh(&m.header);
    assert_eq!(d, DUH2);
    assert_eq!(&d[9..d.len() - 1], br#""DUH"0002L0#12AB[]"#);
    // DUH is never encrypted, even for an encrypted request.
    let m = decode_unchecked(G4, &keys()).unwrap();
    assert_eq!(&duh(&m.header)[9..], b"\"DUH\"0042R12L3#5678[]\r");
}

// ---------- encoder ----------

#[test]
fn encoder_builds_every_message_type() {
    let k = Key::from_hex(K128).unwrap();
    let ts = t(2025, 6, 1, 10, 0, 0);
    let mut pad = SeededPad::new(7);
    let msgs = [
        Message::new(Token::Null, 1, "0", "1234", Payload::Empty),
        Message::new(
            Token::AdmCid,
            2,
            "0",
            "1234",
            Payload::ContactId(ContactId::new(Qualifier::Restore, 302, 0, 7)),
        )
        .with_receiver("A1"),
        Message::new(
            Token::SiaDcs,
            3,
            "1",
            "1234",
            Payload::Sia(SiaData::new(Some("1234".into()), "Nri1/GA02")),
        )
        .with_extended("X127.0E")
        .with_extended("Y37.5N"),
        Message::new(Token::Ack, 4, "0", "1234", Payload::Empty),
        Message::new(Token::Duh, 5, "0", "1234", Payload::Empty),
        Message::new(Token::Nak, 0, "0", "", Payload::Empty).with_receiver("0"),
    ];
    for m in msgs {
        for encrypted in [false, true] {
            let m = m.clone().with_encryption(encrypted).with_timestamp(ts);
            let f = encode(&m, Some(&k), &mut pad).unwrap();
            assert_eq!(scan(&f), Scan::Frame { len: f.len() });
            let any = AnyAccount(k.clone());
            let lookup: &dyn KeyLookup = if encrypted { &any } else { &NoKeys };
            let back = decode_unchecked(&f, lookup).unwrap();
            assert_eq!(back, m);
        }
    }
}

#[test]
fn encoder_rejects_bad_input() {
    let k = Key::from_hex(K128).unwrap();
    let base = Message::new(Token::Null, 1, "0", "1234", Payload::Empty);
    let mut p = FixedPad(b'x');
    assert_eq!(
        encode(&base.clone().with_encryption(true), Some(&k), &mut p),
        Err(EncodeError::MissingTimestamp)
    );
    let ts = t(2025, 1, 1, 0, 0, 0);
    assert_eq!(
        encode(
            &base.clone().with_encryption(true).with_timestamp(ts),
            None,
            &mut p
        ),
        Err(EncodeError::MissingKey)
    );
    assert_eq!(
        encode(
            &base.clone().with_encryption(true).with_timestamp(ts),
            Some(&k),
            &mut FixedPad(b'|')
        ),
        Err(EncodeError::BadPadByte)
    );
    let mut bad = base.clone();
    bad.header.seq = 10_000;
    assert!(matches!(
        encode(&bad, None, &mut p),
        Err(EncodeError::InvalidField(_))
    ));
    let bad = Message::new(
        Token::SiaDcs,
        1,
        "0",
        "1234",
        Payload::Sia(SiaData::new(None, "a]b")),
    );
    assert!(matches!(
        encode(&bad, None, &mut p),
        Err(EncodeError::InvalidField(_))
    ));
    let bad = Message::new(Token::Null, 1, "0", "1234", Payload::Text("x".repeat(5000)));
    assert_eq!(
        encode(&bad, None, &mut p),
        Err(EncodeError::TooLong(5000 + 19))
    );
}

// ---------- stream scanning ----------

#[test]
fn scan_splits_a_tcp_stream() {
    let mut stream = b"junk".to_vec();
    stream.extend_from_slice(G1);
    stream.extend_from_slice(G4);
    assert_eq!(scan(&stream), Scan::Skip(4));
    let s = &stream[4..];
    assert_eq!(scan(s), Scan::Frame { len: G1.len() });
    assert_eq!(scan(&s[G1.len()..]), Scan::Frame { len: G4.len() });
    assert_eq!(scan(&G4[..G4.len() - 1]), Scan::NeedMore);
    assert_eq!(scan(&G4[..5]), Scan::NeedMore);
    assert_eq!(scan(b""), Scan::NeedMore);
    assert_eq!(scan(b"\nZZ"), Scan::Skip(1));
    let mut bad_end = G1.to_vec();
    *bad_end.last_mut().unwrap() = b'!';
    assert_eq!(scan(&bad_end), Scan::Skip(1));
}

// ---------- robustness (the fuzz target's property, run deterministically) ----------

#[test]
fn mutated_frames_never_panic_and_round_trip() {
    let k = keys();
    let seeds: [&[u8]; 9] = [G1, G2, G3, G4, G5, G6, G7, ACK4, NAK];
    let mut rng = 0x1234_5678_9ABC_DEF0u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut ok = 0;
    for i in 0..20_000 {
        let mut f = seeds[i % seeds.len()].to_vec();
        for _ in 0..=(next() % 3) {
            if f.is_empty() {
                break;
            }
            let pos = (next() as usize) % f.len();
            match next() % 4 {
                0 => f[pos] = next() as u8,
                1 => {
                    f.remove(pos);
                }
                2 => f.insert(pos, b"|[]_#\"*0A"[(next() % 9) as usize]),
                _ => f.truncate(pos),
            }
        }
        // Fix CRC/length half of the time so mutations reach the inner parsers.
        if i % 2 == 0 && f.len() > 10 {
            let body = f[9..f.len() - 1].to_vec();
            let head = format!("\n{:04X}{:04X}", crc16(&body), body.len());
            f.splice(0..9, head.bytes());
        }
        if let Ok(m) = decode_unchecked(&f, &k) {
            ok += 1;
            let key = k.get(&m.header.account).filter(|_| m.header.encrypted);
            if let Ok(again) = encode(&m, key, &mut FixedPad(b'x')) {
                assert_eq!(decode_unchecked(&again, &k).unwrap(), m);
            }
        }
    }
    assert!(ok > 100, "mutations should sometimes stay valid ({ok})");
}
