//! `cargo +nightly fuzz run webhook_body` (from functions/device-events/fuzz's parent).
//! The webhook's body comes from anyone who can reach it. The function's own envelope reader
//! (`src/envelope.rs`, compiled here natively) must never panic; every refusal is a 400 naming
//! a field or the body, and whatever it accepts holds what the rest of the webhook relies on.
#![no_main]

#[path = "../../src/envelope.rs"]
#[allow(dead_code)]
mod envelope;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let (v, device_id) = match envelope::sender(body) {
        Ok(ok) => ok,
        Err(e) => {
            assert_eq!(e.status, 400, "{}", e.message);
            return;
        }
    };
    assert!(!device_id.trim().is_empty() && device_id.chars().count() <= 64);
    match envelope::fields(&v) {
        Ok(e) => {
            assert_eq!(e.kind.as_str(), e.kind_name);
            assert!(!e.event_id.trim().is_empty() && e.event_id.chars().count() <= 128);
            assert!(e.data.is_object());
            assert!(e.sequence.is_none_or(|s| s >= 0));
        }
        Err(e) => {
            assert_eq!(e.status, 400, "{}", e.message);
            assert!(e.field.is_some(), "a refused field is named: {}", e.message);
        }
    }
});
