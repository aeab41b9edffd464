//! Scoring from sparse columns: only the values that are there.
//!
//! Why: provider data is almost all zeros. In the synthetic city about 1.4 % of the
//! 500,000 × 47 cells hold a value (most households owe nobody anything), and real arrears
//! files are as thin. Handing over only the non-zero cells makes the copy into the component
//! 2.5 MB instead of 94 MB, and the work is proportional to the values instead of the grid.
//!
//! Exactness: a missing cell is 0, which adds no points, and no interaction term holds for it
//! (the model requires every term's `min` to be positive). Each household's points are summed
//! in model order exactly as [`Model::score_row`] does, and adding `0.0` never changes an f32
//! sum, so the scores, bands and reasons are bit-for-bit those of the dense row.

use crate::model::{Model, RiskBand};
use crate::score::{MAX_TOP, TopK};

/// Households regrouped at a time: their counters (4 B each) stay in the L1/L2 cache.
const BLOCK: usize = 8192;

/// Indicator values column by column: column `i` is entries `starts[i]..starts[i + 1]` of
/// `rows` (household positions, ascending) and `values`. Positions not listed hold 0.
#[derive(Debug, Clone, Copy)]
pub struct SparseColumns<'a> {
    /// How many households there are, listed or not.
    pub households: usize,
    /// Where each column starts in `rows` and `values`: indicators + 1 offsets.
    pub starts: &'a [u32],
    /// The household position of each value.
    pub rows: &'a [u32],
    /// The values, beside their positions in `rows`.
    pub values: &'a [f32],
}

/// The households with a score above 0, in position order; every other household scores 0
/// in band none with no reasons.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseBatch {
    /// Positions of the households that scored above 0, ascending.
    pub rows: Vec<u32>,
    /// Their scores, beside `rows`.
    pub scores: Vec<f32>,
    /// `RiskBand as u8`.
    pub bands: Vec<u8>,
    /// `top` reason indexes for each household in the `explain` band or above, in row order
    /// ([`crate::NO_REASON`] where a household has fewer).
    pub reasons: Vec<u16>,
    /// Points of each reason in `reasons` (0 for none).
    pub points: Vec<f32>,
    /// Reasons kept per household (at most [`MAX_TOP`]).
    pub top: usize,
}

impl SparseColumns<'_> {
    /// Checks the shape against a model with `k` indicators; errors name the field.
    fn check(&self, k: usize) -> Result<(), String> {
        if self.starts.len() != k + 1 {
            return Err(format!(
                "starts: {} offsets, need {} (indicators + 1)",
                self.starts.len(),
                k + 1
            ));
        }
        if self.rows.len() != self.values.len() {
            return Err(format!(
                "values: {} values for {} rows",
                self.values.len(),
                self.rows.len()
            ));
        }
        if self.starts[0] != 0 || self.starts[k] as usize != self.rows.len() {
            return Err("starts: must begin at 0 and end at the number of rows".into());
        }
        for i in 0..k {
            let (a, b) = (self.starts[i] as usize, self.starts[i + 1] as usize);
            if a > b {
                return Err(format!("starts[{}]: offsets must not decrease", i + 1));
            }
            let col = &self.rows[a..b];
            if col.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!(
                    "rows: column {i} must list each household once, ascending"
                ));
            }
            if col.last().is_some_and(|&r| r as usize >= self.households) {
                return Err(format!(
                    "rows: column {i} names a household ≥ {}",
                    self.households
                ));
            }
        }
        Ok(())
    }
}

impl Model {
    /// Scores the households of `cols`. Households in band `explain` or above also get their
    /// `top` largest reasons (ties: the earlier index, as everywhere); the rest get none, which
    /// spares ranking (and handing over) contributors nobody will read.
    pub fn score_sparse(
        &self,
        cols: &SparseColumns,
        top: usize,
        explain: RiskBand,
    ) -> Result<SparseBatch, String> {
        let k = self.len();
        cols.check(k)?;
        let top = top.min(MAX_TOP);
        let n = cols.households;

        // At most one result per entry, and per household.
        let most = n.min(cols.rows.len());
        let mut out = SparseBatch {
            rows: Vec::with_capacity(most),
            scores: Vec::with_capacity(most),
            bands: Vec::with_capacity(most),
            reasons: Vec::new(),
            points: Vec::new(),
            top,
        };
        let mut held = Held::new(self.terms.len());
        let mut block = Regrouped::new(k);
        for base in (0..n).step_by(BLOCK) {
            let len = BLOCK.min(n - base);
            block.regroup(cols, base, len);
            for (r, span) in block.at[..=len].windows(2).enumerate() {
                if span[0] == span[1] {
                    continue;
                }
                let span = span[0] as usize..span[1] as usize;
                let (indicator, value) = (&block.indicator[span.clone()], &block.value[span]);
                // Most households have one value: too few for any interaction.
                let score = if indicator.len() < self.fewest_terms {
                    held.next_household();
                    self.capped(self.sum_points(indicator, value))
                } else {
                    self.entry_score(indicator, value, &mut held)
                };
                if score <= 0.0 {
                    continue;
                }
                let band = self.band(score);
                out.rows.push((base + r) as u32);
                out.scores.push(score);
                out.bands.push(band as u8);
                if band >= explain {
                    let mut best = TopK::new(top);
                    self.entry_reasons(indicator, value, &mut held, &mut best);
                    best.append_to(&mut out.reasons, &mut out.points);
                }
            }
        }
        Ok(out)
    }

    /// One household's capped score from its entries (indicator index ascending). Sums in
    /// model order, as [`Model::score_row`] does.
    #[inline(never)]
    fn entry_score(&self, indicator: &[u16], value: &[f32], held: &mut Held) -> f32 {
        held.next_household();
        let mut sum = 0.0f32;
        for (&i, &x) in indicator.iter().zip(value) {
            sum += self.points(i as usize, x);
            let terms =
                self.term_starts[i as usize] as usize..self.term_starts[i as usize + 1] as usize;
            for &(j, min) in &self.term_list[terms] {
                if x >= min {
                    held.add(j as usize);
                }
            }
        }
        for (j, x) in self.spec.interactions.iter().enumerate() {
            if held.count(j) >= x.min_terms {
                sum += x.weight;
            }
        }
        self.capped(sum)
    }

    /// The indicators' points of one household, summed in model order.
    #[inline]
    fn sum_points(&self, indicator: &[u16], value: &[f32]) -> f32 {
        let mut sum = 0.0f32;
        for (&i, &x) in indicator.iter().zip(value) {
            sum += self.points(i as usize, x);
        }
        sum
    }

    /// `sum.min(max_score)` for sums that are never NaN, as a compare: in Wasm `f32::min` is a
    /// call to `fminf` (Wasm's own `min` treats NaN differently).
    #[inline]
    fn capped(&self, sum: f32) -> f32 {
        if sum < self.spec.max_score {
            sum
        } else {
            self.spec.max_score
        }
    }

    /// Offers one household's contributors to `best` in index order; `held` still holds its
    /// interaction terms from [`Model::entry_score`].
    #[inline(never)]
    fn entry_reasons(&self, indicator: &[u16], value: &[f32], held: &mut Held, best: &mut TopK) {
        for (&i, &x) in indicator.iter().zip(value) {
            best.offer(self.points(i as usize, x), i);
        }
        let k = self.len();
        for (j, x) in self.spec.interactions.iter().enumerate() {
            if held.count(j) >= x.min_terms {
                best.offer(x.weight, (k + j) as u16);
            }
        }
    }
}

/// One block of households' entries, regrouped from columns to households.
struct Regrouped {
    /// Where each column's entries for the next block begin (rows ascend in a column).
    next: Vec<usize>,
    spans: Vec<std::ops::Range<usize>>,
    /// After [`Regrouped::regroup`], household r's entries are `at[r]..at[r + 1]`.
    at: Vec<u32>,
    indicator: Vec<u16>,
    value: Vec<f32>,
}

impl Regrouped {
    fn new(k: usize) -> Regrouped {
        Regrouped {
            next: Vec::with_capacity(k),
            spans: vec![0..0; k],
            at: vec![0u32; BLOCK + 1],
            indicator: Vec::new(),
            value: Vec::new(),
        }
    }

    /// Counting sort of households `base..base + len`: count, sum to where each household's
    /// entries end, then place each entry just below its household's end from the last
    /// column down, so a household's entries come out in indicator order.
    #[inline(never)]
    fn regroup(&mut self, cols: &SparseColumns, base: usize, len: usize) {
        let k = self.spans.len();
        if base == 0 {
            self.next.clear();
            self.next
                .extend(cols.starts[..k].iter().map(|&s| s as usize));
        }
        let at = &mut self.at;
        at[..=len].fill(0);
        let end = (base + len) as u32;
        for i in 0..k {
            let (from, stop) = (self.next[i], cols.starts[i + 1] as usize);
            let e = from + cols.rows[from..stop].partition_point(|&r| r < end);
            for &r in &cols.rows[from..e] {
                at[r as usize - base + 1] += 1;
            }
            self.spans[i] = from..e;
            self.next[i] = e;
        }
        for r in 0..len {
            at[r + 1] += at[r];
        }
        at.copy_within(1..=len, 0);
        let entries = at[len] as usize;
        self.indicator.resize(entries, 0);
        self.value.resize(entries, 0.0);
        for i in (0..k).rev() {
            let span = self.spans[i].clone();
            for (&r, &x) in cols.rows[span.clone()].iter().zip(&cols.values[span]) {
                let e = &mut at[r as usize - base];
                *e -= 1;
                self.indicator[*e as usize] = i as u16;
                self.value[*e as usize] = x;
            }
        }
        at[len] = entries as u32;
    }
}

/// Terms held per interaction for the current household. Counts carry the household they
/// belong to, so moving on to the next household resets them without a memset (in Wasm a call
/// out of the module, per household).
struct Held {
    counts: Vec<(u32, u32)>,
    household: u32,
}

impl Held {
    fn new(interactions: usize) -> Held {
        Held {
            counts: vec![(0, 0); interactions],
            household: 0,
        }
    }

    #[inline]
    fn next_household(&mut self) {
        self.household += 1;
    }

    #[inline]
    fn add(&mut self, j: usize) {
        let c = &mut self.counts[j];
        *c = if c.0 == self.household {
            (c.0, c.1 + 1)
        } else {
            (self.household, 1)
        };
    }

    #[inline]
    fn count(&self, j: usize) -> u32 {
        let c = self.counts[j];
        if c.0 == self.household { c.1 } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NO_REASON;

    /// Dense rows → sparse columns, keeping every non-zero cell (NaN and negatives too, which
    /// must count as nothing).
    fn sparse(rows: &[Vec<f32>], k: usize) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
        let (mut starts, mut rs, mut vs) = (vec![0u32], Vec::new(), Vec::new());
        for i in 0..k {
            for (r, row) in rows.iter().enumerate() {
                if row[i] != 0.0 {
                    rs.push(r as u32);
                    vs.push(row[i]);
                }
            }
            starts.push(rs.len() as u32);
        }
        (starts, rs, vs)
    }

    #[test]
    fn sparse_scoring_equals_row_scoring_bit_for_bit() {
        let m = Model::builtin();
        let (k, n) = (m.len(), BLOCK + 1_500);
        let mut x = 7u32;
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|_| {
                (0..k)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        match (x >> 16) % 40 {
                            0 => f32::NAN,
                            1 => -1.0,
                            2 => 1.0,
                            3 => 1e7,
                            4..=7 => ((x >> 8) % 5000) as f32 / 100.0,
                            _ => 0.0,
                        }
                    })
                    .collect()
            })
            .collect();
        let (starts, rs, vs) = sparse(&rows, k);
        let cols = SparseColumns {
            households: n,
            starts: &starts,
            rows: &rs,
            values: &vs,
        };
        let b = m.score_sparse(&cols, 4, RiskBand::None).unwrap();
        let mut listed = b.rows.iter().enumerate().peekable();
        let mut fired = 0;
        for (r, row) in rows.iter().enumerate() {
            let s = m.score_row(row);
            match listed.next_if(|(_, lr)| **lr as usize == r) {
                None => assert_eq!(s.score, 0.0, "household {r} left out"),
                Some((j, _)) => {
                    assert_eq!(b.scores[j].to_bits(), s.score.to_bits(), "household {r}");
                    assert_eq!(b.bands[j], s.band as u8);
                    for t in 0..4 {
                        let want = s.reasons.get(t);
                        assert_eq!(
                            b.reasons[j * 4 + t],
                            want.map_or(NO_REASON, |w| w.index as u16)
                        );
                        assert_eq!(
                            b.points[j * 4 + t].to_bits(),
                            want.map_or(0.0f32, |w| w.points).to_bits()
                        );
                    }
                    fired += s.reasons.iter().filter(|r| r.index >= k).count();
                }
            }
        }
        assert!(listed.next().is_none());
        // Explaining from band low: the same scores, and reasons only for those in a band.
        let low = m.score_sparse(&cols, 4, RiskBand::Low).unwrap();
        assert_eq!((&low.rows, &low.scores), (&b.rows, &b.scores));
        let banded: Vec<u16> = (0..b.rows.len())
            .filter(|&j| b.bands[j] != RiskBand::None as u8)
            .flat_map(|j| b.reasons[j * 4..j * 4 + 4].to_vec())
            .collect();
        assert_eq!(low.reasons, banded);
        assert!(b.bands.contains(&(RiskBand::None as u8)) && b.bands.iter().any(|&x| x > 1));
        assert!(
            b.rows.len() > n / 2 && fired > 0,
            "the data must exercise scores and interactions"
        );
    }

    #[test]
    fn malformed_columns_are_refused_naming_the_field() {
        let m = Model::builtin();
        let k = m.len();
        let starts = vec![0u32; k + 1];
        let ok = SparseColumns {
            households: 3,
            starts: &starts,
            rows: &[],
            values: &[],
        };
        assert_eq!(
            m.score_sparse(&ok, 3, RiskBand::None).unwrap().rows,
            Vec::<u32>::new()
        );
        let short = SparseColumns {
            starts: &starts[..k],
            ..ok
        };
        assert!(
            m.score_sparse(&short, 3, RiskBand::None)
                .unwrap_err()
                .starts_with("starts")
        );
        let mut two = vec![2u32; k + 1];
        two[0] = 0;
        let twice = SparseColumns {
            starts: &two,
            rows: &[1, 1],
            values: &[1.0, 1.0],
            ..ok
        };
        assert!(
            m.score_sparse(&twice, 3, RiskBand::None)
                .unwrap_err()
                .starts_with("rows")
        );
        let outside = SparseColumns {
            rows: &[1, 3],
            ..twice
        };
        assert!(
            m.score_sparse(&outside, 3, RiskBand::None)
                .unwrap_err()
                .contains("≥ 3")
        );
        let unpaired = SparseColumns {
            rows: &[0, 1],
            values: &[1.0],
            ..twice
        };
        assert!(
            m.score_sparse(&unpaired, 3, RiskBand::None)
                .unwrap_err()
                .starts_with("values")
        );
    }
}
