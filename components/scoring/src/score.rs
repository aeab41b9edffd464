//! Scoring rows: weighted normalised indicators plus interaction bonuses, capped at
//! `max_score`; reasons are the largest contributors (ties: model order).

pub use crate::model::NO_REASON;
use crate::model::{Model, Normalisation, RiskBand};

/// Most reasons kept per row in a batch.
pub const MAX_TOP: usize = 16;

/// One contributor to a score.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// Indicator or interaction id.
    pub id: String,
    /// Index: indicators 0..k, interactions k...
    pub index: usize,
    /// The points it added.
    pub points: f32,
}

/// One household's score, band and reasons ([`Model::score_row`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The score, capped at the model's `max_score`.
    pub score: f32,
    /// The score's risk band.
    pub band: RiskBand,
    /// Every contributor with points > 0, largest first.
    pub reasons: Vec<Reason>,
}

/// `score_batch` output for n rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    /// One score per row.
    pub scores: Vec<f32>,
    /// `RiskBand as u8`.
    pub bands: Vec<u8>,
    /// n × top reason indexes, [`NO_REASON`] where a row has fewer.
    pub reasons: Vec<u16>,
    /// Points of each reason in `reasons` (0 for none).
    pub points: Vec<f32>,
    /// Reasons kept per row (at most [`MAX_TOP`]).
    pub top: usize,
}

/// Points one raw value adds; missing (NaN), zero and negative values add nothing. Row and
/// column scoring both use this, so they give the same bits. Written as selects (x > 0 also
/// rejects NaN; past it x is finite, so `min` is a plain compare) so a loop over one column
/// vectorises.
///
/// The kind is chosen by selects, not a `match`: the sparse path meets a different kind at
/// almost every value, and a jump table there mispredicts. Where the kind is a constant (the
/// column loops) the unused arm folds away.
#[inline(always)]
fn points(kind: Normalisation, cap: f32, weight: f32, x: f32) -> f32 {
    let c = if x < cap { x } else { cap };
    let linear = c / cap;
    let sqrt = linear.sqrt();
    let n = if kind == Normalisation::Sqrt {
        sqrt
    } else {
        linear
    };
    let n = if kind == Normalisation::Flag { 1.0 } else { n };
    if x > 0.0 { n * weight } else { 0.0 }
}

/// `rows` (row-major, k values each) as columns: `columns[i * n + r]` is value i of row r.
fn to_columns(rows: &[f32], k: usize) -> Vec<f32> {
    let n = rows.len() / k;
    let mut columns = vec![0.0f32; rows.len()];
    for (r, row) in rows.chunks_exact(k).enumerate() {
        for (i, &x) in row.iter().enumerate() {
            columns[i * n + r] = x;
        }
    }
    columns
}

impl Model {
    /// Points one raw value adds (see [`points`]).
    #[inline]
    pub(crate) fn points(&self, i: usize, x: f32) -> f32 {
        let (kind, cap, _, weight) = self.compiled[i];
        points(kind, cap, weight, x)
    }

    /// Fills `contrib` (k + m) for one row and returns the capped score.
    #[inline]
    fn contributions(&self, row: &[f32], contrib: &mut [f32]) -> f32 {
        let k = self.len();
        let mut sum = 0.0f32;
        for i in 0..k {
            let p = self.points(i, row[i]);
            contrib[i] = p;
            sum += p;
        }
        for (j, terms) in self.terms.iter().enumerate() {
            let x = &self.spec.interactions[j];
            let held = terms.iter().filter(|(idx, min)| row[*idx] >= *min).count() as u32;
            let p = if held >= x.min_terms { x.weight } else { 0.0 };
            contrib[k + j] = p;
            sum += p;
        }
        sum.min(self.spec.max_score)
    }

    /// Scores one row of `len()` values; panics on a wrong length (callers check).
    pub fn score_row(&self, row: &[f32]) -> Scored {
        assert_eq!(row.len(), self.len(), "row length");
        let mut contrib = vec![0.0f32; self.len() + self.terms.len()];
        let score = self.contributions(row, &mut contrib);
        let mut order: Vec<usize> = (0..contrib.len()).filter(|&i| contrib[i] > 0.0).collect();
        // Stable sort keeps model order among equal points.
        order.sort_by(|a, b| contrib[*b].total_cmp(&contrib[*a]));
        Scored {
            score,
            band: self.band(score),
            reasons: order
                .into_iter()
                .map(|i| Reason {
                    id: self.reason_id(i).unwrap_or_default().to_string(),
                    index: i,
                    points: contrib[i],
                })
                .collect(),
        }
    }

    /// Scores rows packed row-major (`rows.len()` must be a multiple of `len()`), keeping the
    /// `top` largest reasons per row. Transposes and scores by column ([`Model::score_columns`]).
    pub fn score_batch(&self, rows: &[f32], top: usize) -> Result<Batch, String> {
        let k = self.len();
        if !rows.len().is_multiple_of(k) {
            return Err(format!(
                "rows: {} values is not a multiple of {k} indicators",
                rows.len()
            ));
        }
        self.score_columns(&to_columns(rows, k), top)
    }

    /// Scores n households given column-major (`columns[i * n + r]` is indicator i of row r,
    /// `columns.len()` a multiple of `len()`), keeping the `top` largest reasons per row.
    ///
    /// Why columns: each indicator's normalisation is then one branch-free loop over a block
    /// of rows, which the compiler vectorises (SSE natively, SIMD128 in Wasm), and the caller
    /// hands over the columns it loaded without transposing them. Sums run in the same order
    /// as [`Model::score_row`], so both give the same bits.
    pub fn score_columns(&self, columns: &[f32], top: usize) -> Result<Batch, String> {
        let k = self.len();
        if !columns.len().is_multiple_of(k) {
            return Err(format!(
                "columns: {} values is not a multiple of {k} indicators",
                columns.len()
            ));
        }
        let top = top.min(MAX_TOP);
        let n = columns.len() / k;
        let mut out = Batch {
            scores: Vec::with_capacity(n),
            bands: Vec::with_capacity(n),
            reasons: Vec::with_capacity(n * top),
            points: Vec::with_capacity(n * top),
            top,
        };
        let mut block = Block::new(k + self.terms.len());
        for start in (0..n).step_by(BLOCK) {
            let len = BLOCK.min(n - start);
            self.block_contributions(columns, n, start, len, &mut block);
            for r in 0..len {
                let score = block.sum[r].min(self.spec.max_score);
                out.scores.push(score);
                out.bands.push(self.band(score) as u8);
                if top > 0 {
                    block.top_reasons(r, top, &mut out);
                }
            }
        }
        Ok(out)
    }

    /// Fills `b.contrib` and `b.sum` for rows `start..start + len`.
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    fn block_contributions(
        &self,
        columns: &[f32],
        n: usize,
        start: usize,
        len: usize,
        b: &mut Block,
    ) {
        let k = self.len();
        let sum = &mut b.sum[..len];
        sum.fill(0.0);
        for (i, &(kind, cap, _, weight)) in self.compiled.iter().enumerate() {
            let col = &columns[i * n + start..i * n + start + len];
            let out = &mut b.contrib[i * BLOCK..i * BLOCK + len];
            // One loop per kind, so `points` inlines to straight-line code the loop vectorises.
            let fill = |out: &mut [f32], kind| {
                for (o, &x) in out.iter_mut().zip(col) {
                    *o = points(kind, cap, weight, x);
                }
            };
            match kind {
                Normalisation::Linear => fill(out, Normalisation::Linear),
                Normalisation::Sqrt => fill(out, Normalisation::Sqrt),
                Normalisation::Flag => fill(out, Normalisation::Flag),
            }
            for (s, &p) in sum.iter_mut().zip(out.iter()) {
                *s += p;
            }
        }
        for (j, terms) in self.terms.iter().enumerate() {
            let x = &self.spec.interactions[j];
            let held = &mut b.held[..len];
            held.fill(0);
            for &(idx, min) in terms {
                let col = &columns[idx * n + start..idx * n + start + len];
                for (h, &v) in held.iter_mut().zip(col) {
                    *h += (v >= min) as u32;
                }
            }
            let out = &mut b.contrib[(k + j) * BLOCK..(k + j) * BLOCK + len];
            for ((o, &h), s) in out.iter_mut().zip(held.iter()).zip(sum.iter_mut()) {
                let p = if h >= x.min_terms { x.weight } else { 0.0 };
                *o = p;
                *s += p;
            }
        }
    }
}

/// Rows scored together: small enough that a block's contributions stay in cache.
const BLOCK: usize = 256;

/// Scratch for one block: contributions by contributor (`contrib[c * BLOCK + r]`), row sums
/// and interaction term counts.
struct Block {
    contrib: Vec<f32>,
    sum: Vec<f32>,
    held: Vec<u32>,
    contributors: usize,
}

impl Block {
    fn new(contributors: usize) -> Block {
        Block {
            contrib: vec![0.0; contributors * BLOCK],
            sum: vec![0.0; BLOCK],
            held: vec![0; BLOCK],
            contributors,
        }
    }

    /// Appends row r's `top` largest contributors to `out` (ties: the earlier index).
    fn top_reasons(&self, r: usize, top: usize, out: &mut Batch) {
        let mut best = TopK::new(top);
        for c in 0..self.contributors {
            best.offer(self.contrib[c * BLOCK + r], c as u16);
        }
        best.append_to(&mut out.reasons, &mut out.points);
    }
}

/// The `top` largest contributors among those offered in index order; ties keep the earlier
/// index. One threshold compare per offer (most are below it) and an insertion by swaps: no
/// memset or memmove, which in Wasm are calls out of the module.
pub(crate) struct TopK {
    best: [(f32, u16); MAX_TOP],
    len: usize,
    top: usize,
    /// Points an offer must exceed to enter: 0 until `top` are held, then the last held.
    floor: f32,
}

impl TopK {
    #[inline]
    pub(crate) fn new(top: usize) -> TopK {
        let top = top.min(MAX_TOP);
        TopK {
            best: [(0.0, NO_REASON); MAX_TOP],
            len: 0,
            top,
            floor: if top == 0 { f32::INFINITY } else { 0.0 },
        }
    }

    #[inline]
    pub(crate) fn offer(&mut self, p: f32, c: u16) {
        if p <= self.floor {
            return;
        }
        // Into the first free slot, or over the last held (p beats it), then up past every
        // entry with fewer points; equal points stay ahead, so earlier indexes win ties.
        let mut i = self.len.min(self.top - 1);
        self.best[i] = (p, c);
        while i > 0 && p > self.best[i - 1].0 {
            self.best.swap(i, i - 1);
            i -= 1;
        }
        self.len = (self.len + 1).min(self.top);
        if self.len == self.top {
            self.floor = self.best[self.top - 1].0;
        }
    }

    /// Appends `top` indexes and points, padded with [`NO_REASON`] and 0.
    #[inline]
    pub(crate) fn append_to(&self, reasons: &mut Vec<u16>, points: &mut Vec<f32>) {
        for t in 0..self.top {
            let (p, c) = if t < self.len {
                self.best[t]
            } else {
                (0.0, NO_REASON)
            };
            reasons.push(c);
            points.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> &'static Model {
        Model::builtin()
    }

    fn row(values: &[(&str, f32)]) -> Vec<f32> {
        let m = model();
        let mut r = vec![0.0; m.len()];
        for (id, v) in values {
            r[m.index(id).unwrap_or_else(|| panic!("{id}"))] = *v;
        }
        r
    }

    #[test]
    fn an_empty_row_scores_zero_without_reasons() {
        let s = model().score_row(&row(&[]));
        assert_eq!(s.score, 0.0);
        assert_eq!(s.band, RiskBand::None);
        assert!(s.reasons.is_empty());
    }

    /// Hand computed: water 3/6 months × 4 = 2; electricity 6 (cap) × 4 = 4; gas 12 months
    /// capped at 6 → 4; electricity 125,000 won: √(125000/500000) = 0.5 × 2 = 1; utility
    /// interaction (3 of 3 terms ≥ 3 months) = 8; health premium 3/12 × 5 = 1.25.
    /// Total 20.25 → medium (≥ 20).
    #[test]
    fn hand_computed_row_with_interaction() {
        let s = model().score_row(&row(&[
            ("water_arrears_months", 3.0),
            ("electricity_arrears_months", 6.0),
            ("gas_arrears_months", 12.0),
            ("electricity_arrears_amount", 125_000.0),
            ("health_premium_arrears_months", 3.0),
        ]));
        assert_eq!(s.score, 20.25);
        assert_eq!(s.band, RiskBand::Medium);
        let ids: Vec<(&str, f32)> = s
            .reasons
            .iter()
            .map(|r| (r.id.as_str(), r.points))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("utility_arrears_multiple", 8.0),
                ("electricity_arrears_months", 4.0),
                ("gas_arrears_months", 4.0),
                ("water_arrears_months", 2.0),
                ("health_premium_arrears_months", 1.25),
                ("electricity_arrears_amount", 1.0),
            ]
        );
    }

    /// Suicide attempt 6 + basic-livelihood cut 5 + job loss 4 + health premium 12 months 5
    /// + income-loss interaction 6 + catastrophic costs at cap 5 + 3 delinquencies 3×3/5 = 1.8
    /// + medical-debt interaction 5 = 37.8 → high.
    #[test]
    fn hand_computed_high_risk_row() {
        let s = model().score_row(&row(&[
            ("suicide_attempt", 1.0),
            ("basic_livelihood_cut", 1.0),
            ("employment_insurance_loss", 1.0),
            ("health_premium_arrears_months", 14.0),
            ("catastrophic_medical_cost", 25_000_000.0),
            ("financial_delinquency_count", 3.0),
        ]));
        assert!((s.score - 37.8).abs() < 1e-4, "{}", s.score);
        assert_eq!(s.band, RiskBand::High);
        let top3: Vec<&str> = s.reasons.iter().take(3).map(|r| r.id.as_str()).collect();
        // Equal points keep model order: indicators first, interactions after them.
        assert_eq!(
            top3,
            [
                "suicide_attempt",
                "income_loss_with_arrears",
                "health_premium_arrears_months"
            ]
        );
    }

    #[test]
    fn missing_and_negative_values_count_as_nothing_and_scores_are_capped() {
        let m = model();
        let mut r = row(&[("water_supply_cut", f32::NAN), ("gas_supply_cut", -1.0)]);
        assert_eq!(m.score_row(&r).score, 0.0);
        r.iter_mut().for_each(|v| *v = 1e12);
        let s = m.score_row(&r);
        assert_eq!(s.score, 100.0);
        assert_eq!(s.band, RiskBand::High);
    }

    #[test]
    fn batch_matches_single_rows_and_packs_reasons() {
        let m = model();
        let rows = [
            row(&[("water_supply_cut", 1.0)]),
            row(&[]),
            row(&[
                ("suicide_attempt", 1.0),
                ("water_supply_cut", 1.0),
                ("telecom_arrears_months", 6.0),
            ]),
        ];
        let packed: Vec<f32> = rows.concat();
        let b = m.score_batch(&packed, 2).unwrap();
        assert_eq!(b.scores.len(), 3);
        for (i, r) in rows.iter().enumerate() {
            let s = m.score_row(r);
            assert_eq!(b.scores[i].to_bits(), s.score.to_bits());
            assert_eq!(b.bands[i], s.band as u8);
            let want: Vec<u16> = s
                .reasons
                .iter()
                .take(2)
                .map(|r| r.index as u16)
                .chain(std::iter::repeat(NO_REASON))
                .take(2)
                .collect();
            assert_eq!(&b.reasons[i * 2..i * 2 + 2], &want[..]);
        }
        // Ties keep model order: water_supply_cut (index 2) before suicide_attempt (6 points each).
        assert_eq!(b.reasons[4], m.index("water_supply_cut").unwrap() as u16);
        assert!(m.score_batch(&packed[1..], 2).is_err());
    }

    #[test]
    fn column_scoring_equals_row_scoring_bit_for_bit() {
        // More rows than one block, with NaN, negatives, zeros, values above caps and flags,
        // dense enough that interactions fire and ties occur.
        let m = model();
        let (k, n) = (m.len(), 3 * BLOCK + 17);
        let mut x = 99u32;
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|_| {
                (0..k)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        match (x >> 16) % 9 {
                            0 => f32::NAN,
                            1 => -1.0,
                            2 | 3 => 0.0,
                            4 => 1.0,
                            5 => 1e6,
                            _ => ((x >> 8) % 5000) as f32 / 100.0,
                        }
                    })
                    .collect()
            })
            .collect();
        let b = m.score_batch(&rows.concat(), 5).unwrap();
        let columns = to_columns(&rows.concat(), k);
        assert_eq!(m.score_columns(&columns, 5).unwrap(), b);
        for (r, row) in rows.iter().enumerate() {
            let s = m.score_row(row);
            assert_eq!(b.scores[r].to_bits(), s.score.to_bits(), "row {r}");
            for (t, reason) in s.reasons.iter().take(5).enumerate() {
                assert_eq!(
                    b.reasons[r * 5 + t],
                    reason.index as u16,
                    "row {r} reason {t}"
                );
                assert_eq!(b.points[r * 5 + t].to_bits(), reason.points.to_bits());
            }
        }
        assert!(m.score_columns(&columns[1..], 5).is_err());
    }

    #[test]
    fn scoring_is_deterministic() {
        let m = model();
        let mut packed = Vec::new();
        let mut x = 12345u32;
        for _ in 0..1000 * m.len() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            packed.push(if x.is_multiple_of(7) {
                (x >> 8) as f32 / 1000.0
            } else {
                0.0
            });
        }
        assert_eq!(
            m.score_batch(&packed, 3).unwrap(),
            m.score_batch(&packed, 3).unwrap()
        );
    }
}
