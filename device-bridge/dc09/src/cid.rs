//! Ademco Contact ID inside `ADM-CID` messages: data `#acct|QEEE GG CCC`
//! (qualifier, event code, group/partition, zone or user), and its mapping
//! to Safety Net kinds (DESIGN §4).

use std::fmt::Write as _;

use crate::account::split_account;
use crate::error::DecodeError;
use crate::report::{Code, EventKind, Report};

/// Contact ID event qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `1`: new event or opening.
    New,
    /// `3`: restore or closing.
    Restore,
    /// `6`: previously reported condition still present (status).
    Status,
}

impl Qualifier {
    /// The qualifier's digit on the wire.
    pub const fn digit(self) -> u8 {
        match self {
            Qualifier::New => b'1',
            Qualifier::Restore => b'3',
            Qualifier::Status => b'6',
        }
    }

    /// The qualifier of a wire digit; `None` for any other.
    pub fn from_digit(d: u8) -> Option<Qualifier> {
        match d {
            b'1' => Some(Qualifier::New),
            b'3' => Some(Qualifier::Restore),
            b'6' => Some(Qualifier::Status),
            _ => None,
        }
    }
}

/// One Contact ID event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContactId {
    /// `#acct|` repeated inside the data: `None` when absent, `Some("")` for a
    /// bare `|` (pysiaalarm's test sender), else the account text.
    pub account: Option<String>,
    /// New event, restore or status.
    pub qualifier: Qualifier,
    /// Event code 000–999.
    pub code: u16,
    /// Group / partition 00–99.
    pub group: u8,
    /// Zone or user number 000–999.
    pub zone: u16,
}

/// The Safety Net kind for a Contact ID event code (DESIGN §4).
pub fn kind_for_code(code: u16) -> Option<EventKind> {
    Some(match code {
        100 | 101 | 120 => EventKind::EmergencyCall,
        110 => EventKind::Fire,
        111 => EventKind::Smoke,
        151 => EventKind::Gas,
        641 => EventKind::Inactivity,
        602 => EventKind::Heartbeat,
        302 => EventKind::LowBattery,
        301 => EventKind::PowerLoss,
        _ => return None,
    })
}

fn digits(b: &[u8]) -> Option<u16> {
    b.iter().try_fold(0u16, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
    })
}

impl ContactId {
    /// An event without the account repeated in its data.
    pub fn new(qualifier: Qualifier, code: u16, group: u8, zone: u16) -> ContactId {
        ContactId {
            account: None,
            qualifier,
            code,
            group,
            zone,
        }
    }

    /// Sets the `#acct|` repeated inside the data.
    pub fn with_account(mut self, account: impl Into<String>) -> ContactId {
        self.account = Some(account.into());
        self
    }

    /// Parses `[#acct|]QEEE GG CCC` (the text between `[` and `]`).
    pub fn parse(data: &str) -> Result<ContactId, DecodeError> {
        const E: DecodeError = DecodeError::BadData("Contact ID must be 'QEEE GG CCC'");
        let (account, rest) = split_account(data)?;
        let b = rest.as_bytes();
        if b.len() != 11 || b[4] != b' ' || b[7] != b' ' {
            return Err(E);
        }
        let qualifier = Qualifier::from_digit(b[0]).ok_or(DecodeError::BadData(
            "Contact ID qualifier must be 1, 3 or 6",
        ))?;
        Ok(ContactId {
            account: account.map(str::to_owned),
            qualifier,
            code: digits(&b[1..4]).ok_or(E)?,
            group: digits(&b[5..7]).ok_or(E)? as u8,
            zone: digits(&b[8..11]).ok_or(E)?,
        })
    }

    /// Appends the data text (`#acct|QEEE GG CCC`).
    pub(crate) fn write(&self, out: &mut String) {
        match self.account.as_deref() {
            Some("") => out.push('|'),
            Some(a) => {
                out.push('#');
                out.push_str(a);
                out.push('|');
            }
            None => {}
        }
        let _ = write!(
            out,
            "{}{:03} {:02} {:03}",
            self.qualifier.digit() as char,
            self.code % 1000,
            self.group % 100,
            self.zone % 1000
        );
    }

    /// Qualifier 3 turns the kind into a restore; unknown codes are `Unmapped`.
    pub fn report(&self) -> Report {
        match (kind_for_code(self.code), self.qualifier) {
            (None, _) => Report::Unmapped(Code::ContactId(self.code)),
            (Some(k), Qualifier::Restore) => Report::Restore { restores: k },
            (Some(k), Qualifier::New | Qualifier::Status) => Report::Event(k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_code() {
        let table = [
            (100, "emergency-call"),
            (101, "emergency-call"),
            (120, "emergency-call"),
            (110, "fire"),
            (111, "smoke"),
            (151, "gas"),
            (641, "inactivity"),
            (602, "heartbeat"),
            (302, "low-battery"),
            (301, "power-loss"),
        ];
        for (code, kind) in table {
            let k = kind_for_code(code).unwrap();
            assert_eq!(k.as_str(), kind);
            let new = ContactId::new(Qualifier::New, code, 1, 1).report();
            assert_eq!(new, Report::Event(k));
            assert_eq!(new.kind(), Some(kind));
            let restore = ContactId::new(Qualifier::Restore, code, 1, 1).report();
            assert_eq!(restore, Report::Restore { restores: k });
            assert_eq!(
                (restore.kind(), restore.restores()),
                (Some("restore"), Some(k))
            );
            let status = ContactId::new(Qualifier::Status, code, 1, 1).report();
            assert_eq!(status, Report::Event(k));
        }
        let mapped = (0..1000).filter(|&c| kind_for_code(c).is_some()).count();
        assert_eq!(mapped, table.len());
    }

    #[test]
    fn unknown_codes_are_unmapped() {
        for q in [Qualifier::New, Qualifier::Restore] {
            let r = ContactId::new(q, 401, 1, 5).report();
            assert_eq!(r, Report::Unmapped(Code::ContactId(401)));
            assert_eq!(r.kind(), None);
            let Report::Unmapped(c) = r else { panic!() };
            assert_eq!(c.to_string(), "CID 401");
        }
    }

    #[test]
    fn parse_fields() {
        let c = ContactId::parse("#1234|3301 02 017").unwrap();
        assert_eq!(c.account.as_deref(), Some("1234"));
        assert_eq!(c.qualifier, Qualifier::Restore);
        assert_eq!((c.code, c.group, c.zone), (301, 2, 17));
        let c = ContactId::parse("1602 00 000").unwrap();
        assert_eq!(
            (c.account, c.qualifier, c.code),
            (None, Qualifier::New, 602)
        );
        let c = ContactId::parse("|6110 99 999").unwrap();
        assert_eq!(
            (c.account.as_deref(), c.qualifier),
            (Some(""), Qualifier::Status)
        );
        let mut s = String::new();
        c.write(&mut s);
        assert_eq!(s, "|6110 99 999");
    }

    #[test]
    fn parse_rejects_malformed() {
        for bad in [
            "",
            "#1234|",
            "#1234 1110 01 003",
            "2110 01 003",
            "1110 01 03",
            "1110 01 0033",
            "1110-01-003",
            "11A0 01 003",
            "1110 0A 003",
            "#12 4|1110 01 003",
        ] {
            assert!(ContactId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
