//! Shared by the suite's HTTP functions.
//!
//! Pure modules (errors, signatures, secrets, validation) build natively and are unit-tested
//! here. The store modules touch Spin SQLite and exist only in the Wasm build; each table has
//! one owning module, and other functions reach a table only through its owner's module.

pub mod api;
pub mod crisis;
pub mod secrets;
pub mod sparse_column;
pub mod validate;

pub use safetynet_wire::{ids, signature, time};

#[cfg(target_arch = "wasm32")]
pub mod alerting;
#[cfg(target_arch = "wasm32")]
pub mod auth;
#[cfg(target_arch = "wasm32")]
pub mod db;
#[cfg(target_arch = "wasm32")]
pub mod delivery;
#[cfg(target_arch = "wasm32")]
pub mod http;
#[cfg(target_arch = "wasm32")]
pub mod notify;
#[cfg(target_arch = "wasm32")]
pub mod routing_client;
#[cfg(target_arch = "wasm32")]
pub mod store;
