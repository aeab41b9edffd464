//! What an alarm message means for Safety Net: our device-event kinds
//! (DESIGN §4 "Device events") and restores.

use std::fmt;

/// Device-event kinds a DC-09 gateway can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A medical, personal-emergency or panic alarm (`emergency-call`).
    EmergencyCall,
    /// A fire alarm.
    Fire,
    /// A smoke detector alarm.
    Smoke,
    /// A gas detector alarm.
    Gas,
    /// No movement for too long (Contact ID 641, senior watch).
    Inactivity,
    /// A periodic test report: the gateway is alive.
    Heartbeat,
    /// A device's battery is low.
    LowBattery,
    /// Mains (AC) power lost.
    PowerLoss,
}

impl EventKind {
    /// The `kind` string of the device-event JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::EmergencyCall => "emergency-call",
            EventKind::Fire => "fire",
            EventKind::Smoke => "smoke",
            EventKind::Gas => "gas",
            EventKind::Inactivity => "inactivity",
            EventKind::Heartbeat => "heartbeat",
            EventKind::LowBattery => "low-battery",
            EventKind::PowerLoss => "power-loss",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event code as it came from the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// Contact ID event code (3 digits, 000–999).
    ContactId(u16),
    /// SIA two-letter event code.
    Sia(SiaCode),
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Code::ContactId(c) => write!(f, "CID {c:03}"),
            Code::Sia(c) => write!(f, "SIA {c}"),
        }
    }
}

/// One event mapped to Safety Net terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Report {
    /// A new event (Contact ID qualifier 1, or 6 = status still present).
    Event(EventKind),
    /// The condition `restores` ended (Contact ID qualifier 3, SIA restore codes).
    Restore {
        /// The kind whose condition ended.
        restores: EventKind,
    },
    /// A code with no Safety Net meaning; the message is still valid (ACK it).
    Unmapped(Code),
}

impl Report {
    /// The device-event `kind`: the event's kind, `"restore"`, or `None` when unmapped.
    pub const fn kind(&self) -> Option<&'static str> {
        match self {
            Report::Event(k) => Some(k.as_str()),
            Report::Restore { .. } => Some("restore"),
            Report::Unmapped(_) => None,
        }
    }

    /// For a restore, the kind it restores.
    pub const fn restores(&self) -> Option<EventKind> {
        match self {
            Report::Restore { restores } => Some(*restores),
            _ => None,
        }
    }
}

/// A two-letter SIA event code (`FA`, `BA`, `PA`, …).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiaCode(pub [u8; 2]);

impl SiaCode {
    /// `None` unless `s` is two upper-case ASCII letters.
    pub fn new(s: &str) -> Option<SiaCode> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some(SiaCode([*a, *b])),
            _ => None,
        }
    }

    /// The two letters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Safety Net meaning of a few common codes; everything else is `Unmapped`.
    pub fn report(self) -> Report {
        use EventKind::*;
        let restore = |k| Report::Restore { restores: k };
        match &self.0 {
            b"PA" | b"MA" | b"QA" => Report::Event(EmergencyCall),
            b"PH" | b"PR" | b"MH" | b"MR" | b"QH" | b"QR" => restore(EmergencyCall),
            b"FA" => Report::Event(Fire),
            b"FH" | b"FR" => restore(Fire),
            b"GA" => Report::Event(Gas),
            b"GH" | b"GR" => restore(Gas),
            b"RP" => Report::Event(Heartbeat),
            b"YT" | b"XT" => Report::Event(LowBattery),
            b"YR" | b"XR" => restore(LowBattery),
            b"AT" => Report::Event(PowerLoss),
            b"AR" => restore(PowerLoss),
            _ => Report::Unmapped(Code::Sia(self)),
        }
    }
}

impl fmt::Display for SiaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SiaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiaCode({})", self.as_str())
    }
}
