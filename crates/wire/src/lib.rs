//! What crosses the wire between the suite, the device bridge and the CLI: the device-event
//! signature (`X-SafetyNet-Signature`), random ids, and timestamps as the API writes them.
//!
//! Small on purpose: the native bridge links this and nothing of the functions' storage.

pub mod ids;
pub mod signature;
pub mod time;
