//! The scoring model as data (`model.json`): indicators with normalisation and weight,
//! interaction bonuses, band thresholds, and a version recorded with every run.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// In packed reasons: no (further) reason. A model has fewer terms than this, so every reason
/// index fits below it.
pub const NO_REASON: u16 = u16::MAX;

/// How a raw value becomes 0–1 before it is weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Normalisation {
    /// min(x, cap) / cap
    Linear,
    /// √(min(x, cap) / cap): concave, so the first months or won count most.
    Sqrt,
    /// 1 if x > 0.
    Flag,
}

/// How much at risk a score puts a household, by the model's [`Bands`]; ordered, `High` last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskBand {
    /// Below the `low` threshold.
    None,
    /// At or above `low`.
    Low,
    /// At or above `medium`.
    Medium,
    /// At or above `high`.
    High,
}

impl RiskBand {
    /// The band's name as the model file and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskBand::None => "none",
            RiskBand::Low => "low",
            RiskBand::Medium => "medium",
            RiskBand::High => "high",
        }
    }
    /// The band of `band as u8` (as batches pack it); anything unknown is `None`.
    pub fn from_u8(b: u8) -> RiskBand {
        match b {
            1 => RiskBand::Low,
            2 => RiskBand::Medium,
            3 => RiskBand::High,
            _ => RiskBand::None,
        }
    }
}

/// What an indicator's raw value counts.
pub const UNITS: &[&str] = &["months-overdue", "amount", "flag", "count"];

/// One public-data indicator a household is scored on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Its id: lowercase letters, digits and `_`; unique in the model.
    pub id: String,
    /// Its name in Korean.
    pub name_ko: String,
    /// Its name in English.
    pub name_en: String,
    /// The agency that provides it (same form as `id`).
    pub agency: String,
    /// One of [`UNITS`].
    pub unit: String,
    /// How the raw value becomes 0–1.
    pub normalisation: Normalisation,
    /// The raw value at which the normalised value reaches 1; positive.
    pub cap: f32,
    /// Points at a normalised value of 1; zero or positive.
    pub weight: f32,
}

/// An indicator condition of an interaction: raw value ≥ `min`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// The indicator's id.
    pub indicator: String,
    /// The least raw value that meets the term; positive.
    pub min: f32,
}

/// Adds `weight` when at least `min_terms` of its terms hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Its id, unlike any indicator's.
    pub id: String,
    /// Its name in Korean.
    pub name_ko: String,
    /// Its name in English.
    pub name_en: String,
    /// The conditions it counts.
    pub terms: Vec<Term>,
    /// How many terms must hold: 1 to the number of terms.
    pub min_terms: u32,
    /// The bonus points; zero or positive.
    pub weight: f32,
}

/// The least score of each risk band: `0 < low ≤ medium ≤ high`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    /// Least score of [`RiskBand::High`].
    pub high: f32,
    /// Least score of [`RiskBand::Medium`].
    pub medium: f32,
    /// Least score of [`RiskBand::Low`].
    pub low: f32,
}

/// A model as written in its JSON file, before it is checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The model's version, recorded with every run; not empty.
    pub version: String,
    /// Free text: how the model was built.
    #[serde(default)]
    pub description: String,
    /// Scores are capped at this; positive.
    pub max_score: f32,
    /// Band thresholds.
    pub bands: Bands,
    /// Households in this band or above are at risk, and may be allocated a case.
    pub allocation_min_band: RiskBand,
    /// The indicators, in row order (1 to 1000).
    pub indicators: Vec<Indicator>,
    /// Bonuses for indicators that occur together.
    #[serde(default)]
    pub interactions: Vec<Interaction>,
}

/// A checked model, with per-indicator constants precomputed for the hot loop.
#[derive(Debug, Clone)]
pub struct Model {
    /// The model as written.
    pub spec: ModelSpec,
    /// Per indicator: (kind, cap, 1/cap, weight).
    pub(crate) compiled: Vec<(Normalisation, f32, f32, f32)>,
    /// Per interaction: (indicator index, min) terms.
    pub(crate) terms: Vec<Vec<(usize, f32)>>,
    /// The (interaction index, min) terms on indicator i are
    /// `term_list[term_starts[i]..term_starts[i + 1]]` (flat: one lookup per value).
    pub(crate) term_starts: Vec<u32>,
    pub(crate) term_list: Vec<(u32, f32)>,
    /// The smallest `min_terms` of any interaction: households with fewer values meet none.
    pub(crate) fewest_terms: usize,
}

/// The JSON of the model shipped with the component (`model.json`).
pub const BUILTIN_JSON: &str = include_str!("../model.json");

impl Model {
    /// The model shipped with the component (`model.json`).
    pub fn builtin() -> &'static Model {
        static M: OnceLock<Model> = OnceLock::new();
        M.get_or_init(|| Model::from_json(BUILTIN_JSON).expect("built-in model.json is valid"))
    }

    /// Parses and checks a model; errors name the offending field.
    pub fn from_json(json: &str) -> Result<Model, String> {
        let spec: ModelSpec = serde_json::from_str(json).map_err(|e| format!("model: {e}"))?;
        Model::new(spec)
    }

    /// Checks a model and precomputes its per-indicator constants; errors name the offending
    /// field.
    pub fn new(spec: ModelSpec) -> Result<Model, String> {
        if spec.version.trim().is_empty() {
            return Err("version: must not be empty".into());
        }
        if spec.indicators.is_empty() || spec.indicators.len() > 1000 {
            return Err("indicators: 1 to 1000 required".into());
        }
        if spec.max_score.is_nan() || spec.max_score <= 0.0 {
            return Err("max_score: must be positive".into());
        }
        let b = &spec.bands;
        if !(b.low > 0.0 && b.low <= b.medium && b.medium <= b.high) {
            return Err("bands: need 0 < low ≤ medium ≤ high".into());
        }
        let mut compiled = Vec::with_capacity(spec.indicators.len());
        for (i, ind) in spec.indicators.iter().enumerate() {
            let at = |f: &str| format!("indicators[{i}].{f}");
            if !valid_id(&ind.id) {
                return Err(format!(
                    "{}: lowercase letters, digits and _ only",
                    at("id")
                ));
            }
            if spec.indicators[..i].iter().any(|o| o.id == ind.id) {
                return Err(format!("{}: duplicate id {:?}", at("id"), ind.id));
            }
            if !valid_id(&ind.agency) {
                return Err(format!(
                    "{}: lowercase letters, digits and _ only",
                    at("agency")
                ));
            }
            if !UNITS.contains(&ind.unit.as_str()) {
                return Err(format!("{}: one of {}", at("unit"), UNITS.join(", ")));
            }
            if !(ind.cap > 0.0 && ind.cap.is_finite()) {
                return Err(format!("{}: must be positive", at("cap")));
            }
            if !(ind.weight >= 0.0 && ind.weight.is_finite()) {
                return Err(format!("{}: must be zero or positive", at("weight")));
            }
            compiled.push((ind.normalisation, ind.cap, 1.0 / ind.cap, ind.weight));
        }
        let mut terms = Vec::with_capacity(spec.interactions.len());
        for (i, x) in spec.interactions.iter().enumerate() {
            let at = |f: &str| format!("interactions[{i}].{f}");
            if !valid_id(&x.id) || spec.indicators.iter().any(|d| d.id == x.id) {
                return Err(format!("{}: a new lowercase id", at("id")));
            }
            if x.min_terms == 0 || x.min_terms as usize > x.terms.len() {
                return Err(format!("{}: 1 to the number of terms", at("min_terms")));
            }
            if !(x.weight >= 0.0 && x.weight.is_finite()) {
                return Err(format!("{}: must be zero or positive", at("weight")));
            }
            let mut t = Vec::new();
            for (j, term) in x.terms.iter().enumerate() {
                let idx = spec
                    .indicators
                    .iter()
                    .position(|d| d.id == term.indicator)
                    .ok_or_else(|| {
                        format!(
                            "{}: unknown indicator {:?}",
                            at(&format!("terms[{j}].indicator")),
                            term.indicator
                        )
                    })?;
                // A household without a value holds 0, which must not meet a term: sparse
                // scoring relies on it, and "owes ≥ 0 months" says nothing anyway.
                if !(term.min > 0.0 && term.min.is_finite()) {
                    return Err(format!(
                        "{}: must be positive",
                        at(&format!("terms[{j}].min"))
                    ));
                }
                t.push((idx, term.min));
            }
            terms.push(t);
        }
        if spec.indicators.len() + spec.interactions.len() >= NO_REASON as usize {
            return Err("indicators: too many".into());
        }
        let (mut term_starts, mut term_list) = (vec![0u32], Vec::new());
        for i in 0..spec.indicators.len() {
            for (j, t) in terms.iter().enumerate() {
                for &(idx, min) in t {
                    if idx == i {
                        term_list.push((j as u32, min));
                    }
                }
            }
            term_starts.push(term_list.len() as u32);
        }
        let fewest_terms = spec
            .interactions
            .iter()
            .map(|x| x.min_terms as usize)
            .min()
            .unwrap_or(usize::MAX);
        Ok(Model {
            spec,
            compiled,
            terms,
            term_starts,
            term_list,
            fewest_terms,
        })
    }

    /// Number of indicators: the length of every row.
    pub fn len(&self) -> usize {
        self.spec.indicators.len()
    }

    /// Whether the model has no indicators (a checked model always has some).
    pub fn is_empty(&self) -> bool {
        self.spec.indicators.is_empty()
    }

    /// The model's version, recorded with every run.
    pub fn version(&self) -> &str {
        &self.spec.version
    }

    /// The position of indicator `id` in a row, if the model has it.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.spec.indicators.iter().position(|d| d.id == id)
    }

    /// The id of a reason index (indicators first, then interactions).
    pub fn reason_id(&self, i: usize) -> Option<&str> {
        let k = self.len();
        if i < k {
            Some(&self.spec.indicators[i].id)
        } else {
            self.spec.interactions.get(i - k).map(|x| x.id.as_str())
        }
    }

    /// The risk band of `score` by this model's thresholds.
    pub fn band(&self, score: f32) -> RiskBand {
        let b = &self.spec.bands;
        if score >= b.high {
            RiskBand::High
        } else if score >= b.medium {
            RiskBand::Medium
        } else if score >= b.low {
            RiskBand::Low
        } else {
            RiskBand::None
        }
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_model_has_the_47_indicators() {
        let m = Model::builtin();
        assert_eq!(m.len(), 47);
        assert_eq!(m.version(), "ulsan-2026.1");
        assert_eq!(m.spec.interactions.len(), 4);
    }

    /// `model.json` is built from `data/indicators.csv`; a city edit to one must reach the other.
    #[test]
    fn model_json_matches_the_catalogue() {
        let csv = include_str!("../../../data/indicators.csv");
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "id,name_ko,name_en,agency,unit,normalisation,cap,weight"
        );
        let m = Model::builtin();
        let rows: Vec<Vec<&str>> = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), m.len());
        for (r, ind) in rows.iter().zip(&m.spec.indicators) {
            assert_eq!(r.len(), 8, "{r:?}");
            assert_eq!(r[0], ind.id);
            assert_eq!(r[1], ind.name_ko);
            assert_eq!(r[2], ind.name_en);
            assert_eq!(r[3], ind.agency);
            assert_eq!(r[4], ind.unit);
            let norm: Normalisation = serde_json::from_value(serde_json::json!(r[5])).unwrap();
            assert_eq!(norm, ind.normalisation, "{}", ind.id);
            assert_eq!(r[6].parse::<f32>().unwrap(), ind.cap, "{}", ind.id);
            assert_eq!(r[7].parse::<f32>().unwrap(), ind.weight, "{}", ind.id);
        }
    }

    #[test]
    fn errors_name_the_field() {
        let mut spec = Model::builtin().spec.clone();
        spec.indicators[3].unit = "litres".into();
        assert!(
            Model::new(spec)
                .unwrap_err()
                .starts_with("indicators[3].unit")
        );
        let mut spec = Model::builtin().spec.clone();
        spec.interactions[0].terms[1].indicator = "nope".into();
        assert!(
            Model::new(spec)
                .unwrap_err()
                .starts_with("interactions[0].terms[1].indicator")
        );
        let mut spec = Model::builtin().spec.clone();
        spec.interactions[1].terms[0].min = 0.0;
        assert!(
            Model::new(spec)
                .unwrap_err()
                .starts_with("interactions[1].terms[0].min")
        );
        let mut spec = Model::builtin().spec.clone();
        spec.bands.low = 50.0;
        assert!(Model::new(spec).unwrap_err().starts_with("bands"));
        assert!(Model::from_json("{}").unwrap_err().starts_with("model:"));
    }
}
