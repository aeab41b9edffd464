//! The API's HTTP edge, shared by every function: the one error shape (`{"error": {code,
//! message, field?}}` with its status), field-by-field validation of JSON bodies, and request
//! and response helpers over spin-sdk's HTTP types.
//!
//! Storage errors ([`safetynet_db::StoreError`]) become HTTP errors here, once.

pub mod client;
mod error;
pub mod validate;

pub use error::{ApiError, ApiResult};

#[cfg(target_arch = "wasm32")]
mod spin;
#[cfg(target_arch = "wasm32")]
pub use spin::*;
