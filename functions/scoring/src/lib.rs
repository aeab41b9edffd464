//! Bimonthly crisis scoring (`/api/v1/scoring/...`) and case follow-up (`/api/v1/cases/...`):
//! household reference and provider uploads per cycle, the run that scores every household and
//! sends the city's quota to the dong centres, per-centre lists with reasons, and the support
//! rate report. Scoring itself is the imported `safetynet:scoring/scoring` component.

pub mod csv;
pub mod cycle;
pub mod sparse_column;

#[cfg(target_arch = "wasm32")]
mod cases;
#[cfg(target_arch = "wasm32")]
mod lists;
#[cfg(target_arch = "wasm32")]
mod routes;
#[cfg(target_arch = "wasm32")]
mod run;
#[cfg(target_arch = "wasm32")]
mod scorer;
#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
mod uploads;
