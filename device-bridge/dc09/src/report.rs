//! What an alarm message means for Safety Net: our device-event kinds
//! (DESIGN §4 "Device events") and restores.

use std::fmt;

use crate::sia::SiaCode;

/// Device-event kinds a DC-09 gateway can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    EmergencyCall,
    Fire,
    Smoke,
    Gas,
    Inactivity,
    Heartbeat,
    LowBattery,
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
    Restore { restores: EventKind },
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
