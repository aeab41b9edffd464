//! An embedded, Spin-compatible runner for Spin 3.x manifests on wasmtime.
//!
//! Real Spin cannot be installed everywhere this suite runs, so this host serves `spin.toml`
//! the way `spin up` does for every manifest feature the suite uses: the HTTP trigger with
//! Spin's routing and headers, WASI 0.2 HTTP in and out (outbound limited to
//! `allowed_outbound_hosts`), Spin SQLite and variables, and component dependencies.

pub mod compose;
pub mod dependency;
pub mod manifest;
pub mod outbound;
pub mod routes;
pub mod runtime;
pub mod server;
pub mod spin_api;
pub mod sqlite;
pub mod state;
pub mod template;
pub mod up;
pub mod variables;
