//! SIA DC-03/DC-07 event data inside `SIA-DCS` messages, e.g.
//! `#1234|Nri1/BA01`, `#1234|Nti20:50:26RP99`, `#123456|Nri1CL0^VX FRONTE ^`.
//!
//! Only what Safety Net needs is interpreted: two-letter event codes with
//! their address (zone/user digits), the `ri` area and `id` user modifiers,
//! and `^text^`. The raw body is kept so a message re-encodes byte-identically.

use crate::account::split_account;
use crate::error::DecodeError;
use crate::report::Report;
pub use crate::report::SiaCode;

/// One event in SIA data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SiaEvent {
    /// The two-letter event code.
    pub code: SiaCode,
    /// Digits after the code: zone, user or area depending on the code.
    pub address: Option<u32>,
    /// Latest `ri` (area/partition) modifier before this event.
    pub area: Option<u32>,
    /// Latest `id` (user) modifier before this event.
    pub user: Option<u32>,
    /// `^text^` right after the event.
    pub text: Option<String>,
}

/// SIA-DCS data: optional `#acct|`, the raw body, and the events found in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SiaData {
    /// As in [`crate::ContactId::account`].
    pub account: Option<String>,
    /// Everything after `#acct|`, exactly as sent (this is what gets encoded).
    pub body: String,
    /// The events found in `body`, in order.
    pub events: Vec<SiaEvent>,
}

fn number(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        if c.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u32::from(c - b'0'))
        } else {
            None
        }
    })
}

fn parse_events(body: &str) -> Vec<SiaEvent> {
    let b = body.as_bytes();
    let mut events: Vec<SiaEvent> = Vec::new();
    // 'N' opens a new-event data block (DC-07); it is optional in practice.
    let mut i = usize::from(b.first() == Some(&b'N'));
    let (mut area, mut user) = (None, None);
    let mut after_event = false;
    let run = |mut i: usize, ok: fn(u8) -> bool| {
        while i < b.len() && ok(b[i]) {
            i += 1;
        }
        i
    };
    while i < b.len() {
        let c = b[i];
        let pair = |f: fn(&u8) -> bool| i + 1 < b.len() && f(&c) && f(&b[i + 1]);
        if c == b'/' {
            i += 1;
        } else if c == b'^' {
            let Some(len) = b[i + 1..].iter().position(|&x| x == b'^') else {
                break;
            };
            if after_event && let Some(ev) = events.last_mut() {
                ev.text = Some(body[i + 1..i + 1 + len].to_owned());
            }
            after_event = false;
            i += len + 2;
        } else if pair(u8::is_ascii_lowercase) {
            let name = &b[i..i + 2];
            let end = run(i + 2, |c| c.is_ascii_digit() || c == b':');
            let value = number(&b[i + 2..end]);
            match name {
                b"ri" => area = value,
                b"id" => user = value,
                _ => {}
            }
            after_event = false;
            i = end;
        } else if pair(u8::is_ascii_uppercase) {
            let end = run(i + 2, |c| c.is_ascii_digit());
            events.push(SiaEvent {
                code: SiaCode([c, b[i + 1]]),
                address: number(&b[i + 2..end]),
                area,
                user,
                text: None,
            });
            after_event = true;
            i = end;
        } else {
            // '|' starts another block (e.g. "|Atext"); anything else is not
            // event data we understand. Stop; the raw body is kept anyway.
            break;
        }
    }
    events
}

impl SiaData {
    /// Builds data from an optional inner account and a body such as `Nri1/FA01`.
    pub fn new(account: Option<String>, body: impl Into<String>) -> SiaData {
        let body = body.into();
        SiaData {
            account,
            events: parse_events(&body),
            body,
        }
    }

    /// Parses the text between `[` and `]`.
    pub fn parse(data: &str) -> Result<SiaData, DecodeError> {
        let (account, body) = split_account(data)?;
        Ok(SiaData::new(account.map(str::to_owned), body))
    }

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
        out.push_str(&self.body);
    }

    /// One report per event, in order.
    pub fn reports(&self) -> impl Iterator<Item = Report> + '_ {
        self.events.iter().map(|e| e.code.report())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Code, EventKind};

    type Ev = (String, Option<u32>, Option<u32>, Option<u32>);

    fn events(s: &str) -> Vec<Ev> {
        SiaData::parse(s)
            .unwrap()
            .events
            .into_iter()
            .map(|e| (e.code.to_string(), e.address, e.area, e.user))
            .collect()
    }

    #[test]
    fn parses_common_shapes() {
        let ev = |c: &str, a, r, u| (c.to_owned(), a, r, u);
        assert_eq!(
            events("#1234|Nri1/BA01"),
            vec![ev("BA", Some(1), Some(1), None)]
        );
        assert_eq!(
            events("#1234|Nti20:50:26RP99"),
            vec![ev("RP", Some(99), None, None)]
        );
        assert_eq!(
            events("|Nri1/BA000"),
            vec![ev("BA", Some(0), Some(1), None)]
        );
        assert_eq!(
            events("Nri2/id7/CL7/ri3/FA12/FR12"),
            vec![
                ev("CL", Some(7), Some(2), Some(7)),
                ev("FA", Some(12), Some(3), Some(7)),
                ev("FR", Some(12), Some(3), Some(7)),
            ]
        );
        assert_eq!(events("#1234|NRR|Atest"), vec![ev("RR", None, None, None)]);
        assert_eq!(events("#1234|"), vec![]);
        assert_eq!(
            events("Nri1^Kitchen^/GA3"),
            vec![ev("GA", Some(3), Some(1), None)]
        );
        // Overlong address digits do not overflow.
        assert_eq!(
            events("NBA99999999999999"),
            vec![ev("BA", None, None, None)]
        );
    }

    #[test]
    fn common_codes_map() {
        use EventKind::*;
        let m = |c: &str| SiaCode::new(c).unwrap().report();
        for c in ["PA", "MA", "QA"] {
            assert_eq!(m(c), Report::Event(EmergencyCall));
        }
        for c in ["PH", "PR", "MH", "MR", "QH", "QR"] {
            assert_eq!(
                m(c),
                Report::Restore {
                    restores: EmergencyCall
                }
            );
        }
        assert_eq!(m("FA"), Report::Event(Fire));
        assert_eq!(m("FH"), Report::Restore { restores: Fire });
        assert_eq!(m("GA"), Report::Event(Gas));
        assert_eq!(m("GR"), Report::Restore { restores: Gas });
        assert_eq!(m("RP"), Report::Event(Heartbeat));
        assert_eq!(m("YT"), Report::Event(LowBattery));
        assert_eq!(
            m("XR"),
            Report::Restore {
                restores: LowBattery
            }
        );
        assert_eq!(m("AT"), Report::Event(PowerLoss));
        assert_eq!(
            m("AR"),
            Report::Restore {
                restores: PowerLoss
            }
        );
        assert_eq!(m("BA"), Report::Unmapped(Code::Sia(SiaCode(*b"BA"))));
        assert_eq!(Code::Sia(SiaCode(*b"BA")).to_string(), "SIA BA");
        assert_eq!(SiaCode::new("ba"), None);
        assert_eq!(SiaCode::new("BAA"), None);
    }
}
