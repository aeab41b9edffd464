//! The `safetynet:scoring/scoring` export: WIT values in, the crate's scoring out.

use std::borrow::Cow;

wit_bindgen::generate!({
    path: "../../wit/scoring",
    world: "component",
});

use exports::safetynet::scoring::scoring as wit;

use crate::model::{Model, RiskBand};

struct Scoring;

impl wit::Guest for Scoring {
    fn load_model(model_json: String) -> Result<wit::ModelInfo, String> {
        let m = load(&model_json)?;
        Ok(wit::ModelInfo {
            version: m.spec.version.clone(),
            indicators: m
                .spec
                .indicators
                .iter()
                .map(|i| wit::Indicator {
                    id: i.id.clone(),
                    name_ko: i.name_ko.clone(),
                    name_en: i.name_en.clone(),
                    agency: i.agency.clone(),
                    unit: i.unit.clone(),
                    weight: i.weight,
                })
                .collect(),
            interactions: m
                .spec
                .interactions
                .iter()
                .map(|x| wit::Interaction {
                    id: x.id.clone(),
                    name_ko: x.name_ko.clone(),
                    name_en: x.name_en.clone(),
                    weight: x.weight,
                })
                .collect(),
            allocation_min_band: band(m.spec.allocation_min_band),
        })
    }

    fn score_row(model_json: String, row: Vec<f32>) -> Result<wit::Scored, String> {
        let m = load(&model_json)?;
        if row.len() != m.len() {
            return Err(format!(
                "row: {} values, the model has {} indicators",
                row.len(),
                m.len()
            ));
        }
        let s = m.score_row(&row);
        Ok(wit::Scored {
            score: s.score,
            band: band(s.band),
            reasons: s
                .reasons
                .into_iter()
                .map(|r| wit::Reason {
                    id: r.id,
                    points: r.points,
                })
                .collect(),
        })
    }

    fn score_batch(model_json: String, rows: Vec<f32>, top: u32) -> Result<wit::Batch, String> {
        let m = load(&model_json)?;
        Ok(batch(m.score_batch(&rows, top as usize)?))
    }

    fn score_sparse(
        model_json: String,
        columns: wit::SparseColumns,
        top: u32,
        explain: wit::RiskBand,
    ) -> Result<wit::SparseBatch, String> {
        let m = load(&model_json)?;
        let cols = crate::SparseColumns {
            households: columns.households as usize,
            starts: &columns.starts,
            rows: &columns.rows,
            values: &columns.values,
        };
        let b = m.score_sparse(&cols, top as usize, band_from_wit(explain))?;
        Ok(wit::SparseBatch {
            rows: b.rows,
            scores: b.scores,
            bands: b.bands,
            reasons: b.reasons,
            points: b.points,
        })
    }

    fn allocate(quota: u32, demand: Vec<u32>) -> Vec<u32> {
        crate::allocate(quota, &demand)
    }

    fn select(
        households: wit::RunHouseholds,
        followed: wit::Followed,
        min_band: wit::RiskBand,
        quota: u32,
    ) -> Result<wit::Selection, String> {
        let h = crate::RunHouseholds {
            ids: &households.ids,
            dongs: &households.dongs,
            dong_names: &households.dong_names,
            receiving_support: &households.receiving_support,
            scores: &households.scores,
            bands: &households.bands,
        };
        let f = crate::Followed {
            open_case: &followed.open_case,
            supported_last_cycle: &followed.supported_last_cycle,
        };
        let s = crate::select(&h, &f, band_from_wit(min_band), quota)?;
        Ok(wit::Selection {
            receiving_support: s.receiving_support,
            open_case: s.open_case,
            supported_last_cycle: s.supported_last_cycle,
            centres: s
                .centres
                .into_iter()
                .map(|c| wit::Centre {
                    dong: c.dong,
                    at_risk: c.at_risk,
                    flagged: c.flagged,
                })
                .collect(),
        })
    }
}

export!(Scoring);

/// An empty (or blank) model string means the built-in model, parsed once per instance.
fn load(model_json: &str) -> Result<Cow<'static, Model>, String> {
    if model_json.trim().is_empty() {
        Ok(Cow::Borrowed(Model::builtin()))
    } else {
        Model::from_json(model_json).map(Cow::Owned)
    }
}

fn batch(b: crate::score::Batch) -> wit::Batch {
    wit::Batch {
        scores: b.scores,
        bands: b.bands,
        reasons: b.reasons,
        points: b.points,
    }
}

fn band(b: RiskBand) -> wit::RiskBand {
    match b {
        RiskBand::None => wit::RiskBand::None,
        RiskBand::Low => wit::RiskBand::Low,
        RiskBand::Medium => wit::RiskBand::Medium,
        RiskBand::High => wit::RiskBand::High,
    }
}

fn band_from_wit(b: wit::RiskBand) -> RiskBand {
    match b {
        wit::RiskBand::None => RiskBand::None,
        wit::RiskBand::Low => RiskBand::Low,
        wit::RiskBand::Medium => RiskBand::Medium,
        wit::RiskBand::High => RiskBand::High,
    }
}
