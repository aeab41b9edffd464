//! Safety Net crisis scoring: a household's row of public-data indicators (utility, premium,
//! telecom and rent arrears, debts, medical costs, job loss, benefit cuts…) → score 0–100, risk
//! band and the indicators that contributed most; and which households a run sends to the dong
//! welfare centres (who is left out, the ranking, the split of the city's quota).
//!
//! Pure and deterministic: the same model and rows give bit-identical scores natively and in
//! Wasm (only +, ×, min and √, which IEEE 754 rounds the same everywhere; summed in model order).
//! Built for `wasm32-wasip2` it is the component exporting `safetynet:scoring/scoring`.
//!
//! ```
//! use safetynet_scoring::{Model, RiskBand};
//!
//! let model = Model::builtin();
//! let mut row = vec![0.0f32; model.len()];
//! row[model.index("water_supply_cut").unwrap()] = 1.0;
//! let s = model.score_row(&row);
//! assert_eq!(s.score, 6.0);
//! assert_eq!(s.band, RiskBand::None);
//! assert_eq!(s.reasons[0].id, "water_supply_cut");
//! ```

pub mod allocate;
pub mod model;
pub mod score;
pub mod select;
pub mod sparse;

pub use allocate::allocate;
pub use model::{Indicator, Interaction, Model, Normalisation, RiskBand, Term};
pub use score::{Batch, NO_REASON, Reason, Scored};
pub use select::{Centre, Followed, RunHouseholds, Selection, select};
pub use sparse::{SparseBatch, SparseColumns};

/// The WIT export; only the Wasm build has it.
#[cfg(target_arch = "wasm32")]
mod component;
