//! The suite's words, defined once: what devices report, how bad it is, who is enrolled, where
//! notifications go, what state an incident is in, and who staff are. Every value is spelled as
//! in the WIT interfaces and the JSON API (kebab-case), and Korean labels sit beside the values
//! they name, so functions, the bridge, the CLI and the API description cannot drift apart.

/// Declares a fieldless enum whose string names are the WIT names, with `ALL`, `as_str`,
/// `Display` and `FromStr` kept in one list so they cannot drift apart. The crate using it must
/// depend on `serde`.
#[macro_export]
macro_rules! wit_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in WIT declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Every value's name, in the same order (for "must be one of …" messages).
            pub const NAMES: &'static [&'static str] = &[$($text,)+];

            /// The WIT (and JSON) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            /// Parses the WIT name exactly (`"emergency-call"`, not `"EmergencyCall"`).
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        concat!("unknown ", $what, " `{}`, expected one of {}"),
                        s,
                        [$($text,)+].join(", ")
                    )),
                }
            }
        }
    };
}

wit_enum! {
    /// What a device reported (`types.event-kind`).
    EventKind, "event kind" {
        /// The resident pressed an emergency button (pendant, gateway or speaker).
        EmergencyCall = "emergency-call",
        /// The resident called for help by voice (AI speaker).
        VoiceSos = "voice-sos",
        /// A fire detector went off.
        Fire = "fire",
        /// A smoke detector went off.
        Smoke = "smoke",
        /// A gas-leak detector went off.
        Gas = "gas",
        /// A fall was detected.
        Fall = "fall",
        /// No sign of activity for too long (reported by a device or found by the tick).
        Inactivity = "inactivity",
        /// Movement sensed: proof of life.
        Activity = "activity",
        /// A door opened or closed: proof of life.
        Door = "door",
        /// A device's periodic "still here" signal.
        Heartbeat = "heartbeat",
        /// A device's battery is running low.
        LowBattery = "low-battery",
        /// A device lost mains power.
        PowerLoss = "power-loss",
        /// A device went silent: it missed two heartbeat periods.
        DeviceOffline = "device-offline",
        /// The resident acknowledged a reminder (`data.delivery_id` names it).
        ReminderAck = "reminder-ack",
        /// The resident answered a check-in prompt (`data.answer`).
        CheckIn = "check-in",
        /// The resident asked for help or said crisis words (from a check-in answer or an officer's report).
        CrisisUtterance = "crisis-utterance",
        /// A condition is over (`data.restores` names its kind, e.g. power back, device online).
        Restore = "restore",
        /// Raised by the reminders tick, never by a device: consecutive unacknowledged doses.
        MissedDose = "missed-dose",
    }
}

wit_enum! {
    /// How bad an event is (`types.severity`); ordered, so `Critical > High`.
    Severity, "severity" {
        /// Nothing wrong (proof of life, a restore): recorded; the default policy tells nobody.
        Info = "info",
        /// Needs attention, not urgently: a device problem, a missed dose, a downgraded incident.
        Low = "low",
        /// The resident may be in trouble: no sign of activity, a call for help at a check-in.
        High = "high",
        /// An emergency (a call, fire, smoke, gas, a fall): 119 at once by the default policy, and
        /// never held back by quiet hours.
        Critical = "critical",
    }
}

wit_enum! {
    /// Why a resident is enrolled (`types.eligibility`); the policy may route differently per group.
    Eligibility, "eligibility" {
        /// An older person living alone.
        ElderlyAlone = "elderly-alone",
        /// A person with a disability.
        Disabled = "disabled",
        /// A middle-aged person living alone (at risk of lonely death).
        MiddleAgedSingle = "middle-aged-single",
        /// Lately discharged from hospital.
        RecentlyDischarged = "recently-discharged",
        /// Living in temporary housing (e.g. after a disaster).
        TemporaryHousing = "temporary-housing",
    }
}

wit_enum! {
    /// Where a notification goes (`routing.channel`).
    Channel, "channel" {
        /// The 119 fire/rescue centre (emergency dispatch).
        Dispatch119 = "dispatch119",
        /// A caregiver contact, by SMS/voice gateway.
        Caregiver = "caregiver",
        /// The resident's dong welfare centre.
        WelfareCentre = "welfare-centre",
        /// 119 asked to do a welfare check (non-emergency visit).
        WelfareCheck119 = "welfare-check119",
    }
}

wit_enum! {
    /// Where an incident stands.
    IncidentState, "incident state" {
        /// Opened; nobody has taken it yet.
        Triggered = "triggered",
        /// A person took it; the escalation ladder stopped.
        Acknowledged = "acknowledged",
        /// Closed with an outcome.
        Resolved = "resolved",
        /// Closed as a false alarm.
        Cancelled = "cancelled",
    }
}

wit_enum! {
    /// What a bearer token lets its holder do.
    Role, "role" {
        /// Everything, including minting tokens.
        Admin = "admin",
        /// 119 liaison staff.
        Dispatcher = "dispatcher",
        /// City support-centre staff.
        SupportCentre = "support-centre",
        /// A dong welfare-centre worker: their own dong only.
        WelfareCentre = "welfare-centre",
        /// The device bridge / scheduler: may call the tick and the device-facing feeds.
        Clock = "clock",
        /// An approved honorary welfare officer: their own records only.
        Officer = "officer",
        /// A public-data provider's system: uploads its own provider's files, nothing else.
        DataProvider = "data-provider",
    }
}

impl EventKind {
    /// Kinds a device may report (the rest are raised by the suite itself).
    pub fn is_device_reported(self) -> bool {
        self != EventKind::MissedDose
    }

    /// Kinds that call for 119 at once: the device bridge keeps accepting them when its
    /// outbox is past its disk budget.
    pub fn is_urgent(self) -> bool {
        matches!(
            self,
            EventKind::EmergencyCall
                | EventKind::VoiceSos
                | EventKind::Fire
                | EventKind::Smoke
                | EventKind::Gas
                | EventKind::Fall
        )
    }

    /// Kinds that show the resident was up and about: they reset the inactivity clock.
    pub fn shows_activity(self) -> bool {
        matches!(
            self,
            EventKind::Activity
                | EventKind::Door
                | EventKind::EmergencyCall
                | EventKind::VoiceSos
                | EventKind::ReminderAck
                | EventKind::CheckIn
        )
    }

    /// The Korean name of an incident of this kind, as messages and pages show it.
    pub fn label_ko(self) -> &'static str {
        match self {
            EventKind::EmergencyCall => "응급호출",
            EventKind::VoiceSos => "음성 SOS",
            EventKind::Fire => "화재",
            EventKind::Smoke => "연기 감지",
            EventKind::Gas => "가스 누출",
            EventKind::Fall => "낙상",
            EventKind::Inactivity => "장시간 활동 없음",
            EventKind::DeviceOffline => "장비 연결 끊김",
            EventKind::LowBattery => "배터리 부족",
            EventKind::PowerLoss => "정전",
            EventKind::CrisisUtterance => "위기 발화",
            EventKind::CheckIn => "안부 확인 도움 요청",
            EventKind::MissedDose => "복약(일정) 알림 연속 미확인",
            EventKind::Activity
            | EventKind::Door
            | EventKind::Heartbeat
            | EventKind::ReminderAck
            | EventKind::Restore => "알림",
        }
    }
}

/// The Korean name of an incident kind given by its name; unknown kinds read "알림" (alert).
pub fn kind_label_ko(kind: &str) -> &'static str {
    kind.parse::<EventKind>()
        .map_or("알림", EventKind::label_ko)
}

impl IncidentState {
    /// Open incidents still need a person.
    pub fn is_open(self) -> bool {
        matches!(self, IncidentState::Triggered | IncidentState::Acknowledged)
    }
}

impl Role {
    /// Roles an admin may give a token directly (officers get theirs when approved).
    pub const ASSIGNABLE: &'static [Role] = &[
        Role::Admin,
        Role::Dispatcher,
        Role::SupportCentre,
        Role::WelfareCentre,
        Role::Clock,
        Role::DataProvider,
    ];

    /// Machines (the bridge's clock, a provider's uploader) keep a token longer than people.
    pub fn is_machine(self) -> bool {
        matches!(self, Role::Clock | Role::DataProvider)
    }

    /// How long a new token of this role lasts unless its issuer says otherwise.
    pub fn default_token_days(self) -> i64 {
        if self.is_machine() { 365 } else { 90 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_errors_list_the_choices() {
        assert_eq!(EventKind::ALL.len(), 18);
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
            assert_eq!(
                serde_json::to_string(kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(*role));
        }
        let err = "EmergencyCall".parse::<EventKind>().unwrap_err();
        assert!(
            err.starts_with("unknown event kind `EmergencyCall`, expected one of emergency-call"),
            "{err}"
        );
    }

    #[test]
    fn severities_are_ordered_and_channels_keep_wit_names() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::High > Severity::Low);
        assert!(Severity::Low > Severity::Info);
        for channel in Channel::ALL {
            let json = serde_json::to_string(channel).unwrap();
            assert_eq!(json, format!("\"{}\"", channel.as_str()));
        }
        assert_eq!(
            serde_json::to_string(&Channel::WelfareCheck119).unwrap(),
            "\"welfare-check119\""
        );
    }

    #[test]
    fn korean_labels_cover_alerting_kinds() {
        assert_eq!(kind_label_ko("fall"), "낙상");
        assert_eq!(kind_label_ko("missed-dose"), "복약(일정) 알림 연속 미확인");
        assert_eq!(kind_label_ko("no-such-kind"), "알림");
    }

    #[test]
    fn only_the_suite_raises_missed_doses() {
        let reported: Vec<_> = EventKind::ALL
            .iter()
            .filter(|k| k.is_device_reported())
            .collect();
        assert_eq!(reported.len(), 17);
        assert!(EventKind::Fall.is_urgent() && !EventKind::Heartbeat.is_urgent());
    }
}
