//! Shared by the suite's HTTP functions.
//!
//! Pure modules (errors, signatures, secrets, validation) build natively and are unit-tested
//! here. The store modules touch Spin SQLite and exist only in the Wasm build; each table has
//! one owning module, and other functions reach a table only through its owner's module.

pub mod api;
pub mod crisis;
pub mod ids;
pub mod secrets;
pub mod signature;
pub mod sparse_column;
pub mod time;
pub mod validate;

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
