//! The scoring component, imported over WIT (`safetynet:scoring/scoring`), so a city can swap the
//! model (the `scoring_model` variable) or the whole component in `spin.toml`.

spin_sdk::wit_bindgen::generate!({
    path: "../../wit/scoring",
    world: "user",
    runtime_path: "spin_sdk::wit_bindgen::rt",
});

pub use safetynet::scoring::scoring::{self as wit, ModelInfo, RiskBand};

use std::collections::HashMap;

use safetynet_http::{ApiError, ApiResult};

/// The model JSON from the `scoring_model` variable; empty = the component's built-in model.
pub fn model_json() -> String {
    spin_sdk::variables::get("scoring_model").unwrap_or_default()
}

pub fn info(model: &str) -> ApiResult<ModelInfo> {
    wit::load_model(model).map_err(|e| ApiError::internal(format!("scoring model: {e}")))
}

pub fn band_str(b: u8) -> &'static str {
    match b {
        1 => "low",
        2 => "medium",
        3 => "high",
        _ => "none",
    }
}

pub fn band_u8(b: RiskBand) -> u8 {
    match b {
        RiskBand::None => 0,
        RiskBand::Low => 1,
        RiskBand::Medium => 2,
        RiskBand::High => 3,
    }
}

/// A run's households, as `households_for_run` reads them (id, dong, receiving support), with
/// their scores and bands, in the shape `select` takes: each dong named once.
pub fn run_households(
    households: Vec<(String, String, bool)>,
    scores: Vec<f32>,
    bands: Vec<u8>,
) -> wit::RunHouseholds {
    let n = households.len();
    let mut ids = Vec::with_capacity(n);
    let mut dongs = Vec::with_capacity(n);
    let mut receiving_support = Vec::with_capacity(n);
    let mut dong_names = Vec::new();
    let mut dong_index: HashMap<String, u32> = HashMap::new();
    for (id, dong, receiving) in households {
        let d = match dong_index.get(&dong) {
            Some(&d) => d,
            None => {
                let d = dong_names.len() as u32;
                dong_names.push(dong.clone());
                dong_index.insert(dong, d);
                d
            }
        };
        ids.push(id);
        dongs.push(d);
        receiving_support.push(receiving);
    }
    wit::RunHouseholds {
        ids,
        dongs,
        dong_names,
        receiving_support,
        scores,
        bands,
    }
}

/// Provider ids (agencies) with the columns each uploads, in model order.
pub fn providers(info: &ModelInfo) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for ind in &info.indicators {
        match out.iter_mut().find(|(a, _)| *a == ind.agency) {
            Some((_, cols)) => cols.push(ind.id.clone()),
            None => out.push((ind.agency.clone(), vec![ind.id.clone()])),
        }
    }
    out
}
