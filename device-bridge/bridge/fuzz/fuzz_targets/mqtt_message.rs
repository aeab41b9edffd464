//! `cargo +nightly fuzz run mqtt_message` (from device-bridge/bridge/fuzz's parent).
//! A speaker's message is a topic and a payload, both chosen by whoever is on the network: the
//! input is split at its first NUL into the two. Nothing may panic, and whatever the bridge
//! accepts as an event must be one the suite's webhook accepts: a known kind, an RFC 3339 time,
//! an object of data marked as from MQTT, and an event id within the webhook's limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safetynet_bridge::events::is_known_kind;
use safetynet_bridge::mqtt::{parse_event, parse_status, parse_topic, Topic};

const PREFIX: &str = "safetynet/v1/devices";

fuzz_target!(|input: &[u8]| {
    let (topic, payload) = match input.iter().position(|&b| b == 0) {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (&b"safetynet/v1/devices/spk-1/events"[..], input),
    };
    let Ok(topic) = std::str::from_utf8(topic) else {
        return;
    };
    match parse_topic(PREFIX, topic) {
        Some(Topic::Events(id)) => {
            if let Ok(ev) = parse_event(id, payload) {
                assert_eq!(ev.device_id, id);
                assert!(is_known_kind(&ev.kind), "{}", ev.kind);
                assert!(ev.event_id.len() <= 128 && !ev.event_id.is_empty());
                assert!(chrono_like(&ev.occurred_at), "{}", ev.occurred_at);
                assert!(ev.data.is_object());
                assert_eq!(ev.data["source"], "mqtt");
            }
        }
        Some(Topic::Status(_)) => {
            let _ = parse_status(payload);
        }
        None => {}
    }
});

/// `YYYY-MM-DDTHH:MM:SS…`: the shape every RFC 3339 time the bridge writes starts with.
fn chrono_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':'
}
