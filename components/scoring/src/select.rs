//! Which households a run sends to the dong centres: households already looked after are left
//! out, the rest at the allocation band or above are ranked within their dong, and each
//! centre's list is cut to its share of the city's quota ([`allocate`]).
//!
//! Deterministic for the same input: centres in dong-name order (which also settles ties in
//! the quota split), households by score and then by id, so a re-run sends the same lists.

use std::collections::{BTreeMap, HashSet};

use crate::allocate::allocate;
use crate::model::RiskBand;

/// A cycle's households by position, as a run selects from them (`scoring.run-households`):
/// entry i of every list is household i. Dongs are named once and referred to by index, as a
/// city has a few hundred centres and hundreds of thousands of households.
#[derive(Debug, Clone, Copy)]
pub struct RunHouseholds<'a> {
    /// Pseudonymous household ids: exclusions name households by id, and equal scores are
    /// ranked by id.
    pub ids: &'a [String],
    /// Index into `dong_names` of each household's dong.
    pub dongs: &'a [u32],
    /// The dongs `dongs` refers to; a name given twice is one centre.
    pub dong_names: &'a [String],
    /// The household reference says it already receives support.
    pub receiving_support: &'a [bool],
    /// The run's scores.
    pub scores: &'a [f32],
    /// `RiskBand as u8`, as [`crate::SparseBatch`] gives them.
    pub bands: &'a [u8],
}

/// Households already followed up, by id (`scoring.followed`): a run leaves them out so a
/// centre is not sent the same people again while it is still working on them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Followed<'a> {
    /// Households with a case still new or contacted.
    pub open_case: &'a [String],
    /// Households whose case of the previous cycle ended in support.
    pub supported_last_cycle: &'a [String],
}

/// One dong centre's share of a run (`scoring.centre`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Centre {
    /// The dong's name.
    pub dong: String,
    /// Households at risk and not excluded: the centre's demand when the quota is split.
    pub at_risk: u32,
    /// Positions of the households it is sent, rank 1 first; as many as it was allocated.
    pub flagged: Vec<u32>,
}

/// What a run sends where, and whom it left out (`scoring.selection`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Households left out because they already receive support. Each excluded household is
    /// counted once, under the first of the three reasons that applies.
    pub receiving_support: u32,
    /// Left out for a case still open.
    pub open_case: u32,
    /// Left out for support given after the previous cycle's run.
    pub supported_last_cycle: u32,
    /// Every dong with a household at risk, by name: the order the quota is split in.
    pub centres: Vec<Centre>,
}

impl RunHouseholds<'_> {
    /// Checks that the lists line up; errors name the field.
    fn check(&self) -> Result<(), String> {
        let n = self.ids.len();
        let lens = [
            ("dongs", self.dongs.len()),
            ("receiving_support", self.receiving_support.len()),
            ("scores", self.scores.len()),
            ("bands", self.bands.len()),
        ];
        for (field, len) in lens {
            if len != n {
                return Err(format!("{field}: {len} values for {n} households"));
            }
        }
        if let Some((i, d)) = self
            .dongs
            .iter()
            .enumerate()
            .find(|&(_, &d)| d as usize >= self.dong_names.len())
        {
            return Err(format!(
                "dongs[{i}]: {d} is not below the {} dong names",
                self.dong_names.len()
            ));
        }
        Ok(())
    }
}

/// Leaves out households receiving support, with an open case or supported last cycle (in
/// that order of precedence, for the counts); ranks the others scoring above 0 in `min_band`
/// or above within their dong, highest score first and equal scores by household id; splits
/// `quota` across the dongs in proportion to those counts and keeps each dong's top share.
pub fn select(
    households: &RunHouseholds,
    followed: &Followed,
    min_band: RiskBand,
    quota: u32,
) -> Result<Selection, String> {
    households.check()?;
    let open: HashSet<&str> = followed.open_case.iter().map(String::as_str).collect();
    let supported: HashSet<&str> = followed
        .supported_last_cycle
        .iter()
        .map(String::as_str)
        .collect();
    let (ids, scores) = (households.ids, households.scores);
    let mut out = Selection::default();
    let mut by_dong: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        if households.receiving_support[i] {
            out.receiving_support += 1;
        } else if open.contains(id.as_str()) {
            out.open_case += 1;
        } else if supported.contains(id.as_str()) {
            out.supported_last_cycle += 1;
        } else if households.bands[i] >= min_band as u8 && scores[i] > 0.0 {
            let dong = &households.dong_names[households.dongs[i] as usize];
            by_dong.entry(dong).or_default().push(i as u32);
        }
    }
    for list in by_dong.values_mut() {
        list.sort_by(|&a, &b| {
            scores[b as usize]
                .total_cmp(&scores[a as usize])
                .then_with(|| ids[a as usize].cmp(&ids[b as usize]))
        });
    }
    let demand: Vec<u32> = by_dong.values().map(|l| l.len() as u32).collect();
    let allocation = allocate(quota, &demand);
    out.centres = by_dong
        .into_iter()
        .zip(allocation)
        .map(|((dong, mut list), take)| {
            let at_risk = list.len() as u32;
            list.truncate(take as usize);
            Centre {
                dong: dong.to_string(),
                at_risk,
                flagged: list,
            }
        })
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RiskBand::{High, Low, Medium, None as Below};

    /// A cycle's households, owned, for [`RunHouseholds`] to borrow.
    struct City {
        ids: Vec<String>,
        dongs: Vec<u32>,
        names: Vec<String>,
        support: Vec<bool>,
        scores: Vec<f32>,
        bands: Vec<u8>,
    }

    impl City {
        /// Households as (id, dong index, receiving support, score, band).
        fn new(names: &[&str], hh: &[(&str, u32, bool, f32, RiskBand)]) -> City {
            City {
                ids: hh.iter().map(|h| h.0.to_string()).collect(),
                dongs: hh.iter().map(|h| h.1).collect(),
                names: names.iter().map(|n| n.to_string()).collect(),
                support: hh.iter().map(|h| h.2).collect(),
                scores: hh.iter().map(|h| h.3).collect(),
                bands: hh.iter().map(|h| h.4 as u8).collect(),
            }
        }

        fn households(&self) -> RunHouseholds<'_> {
            RunHouseholds {
                ids: &self.ids,
                dongs: &self.dongs,
                dong_names: &self.names,
                receiving_support: &self.support,
                scores: &self.scores,
                bands: &self.bands,
            }
        }

        fn select(&self, followed: &Followed, quota: u32) -> Selection {
            select(&self.households(), followed, RiskBand::Low, quota).unwrap()
        }

        /// Each centre as (dong, at risk, flagged ids).
        fn lists(&self, s: &Selection) -> Vec<(String, u32, Vec<String>)> {
            s.centres
                .iter()
                .map(|c| {
                    let ids = c.flagged.iter().map(|&i| self.ids[i as usize].clone());
                    (c.dong.clone(), c.at_risk, ids.collect())
                })
                .collect()
        }
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exclusions_take_precedence_in_order_and_each_household_counts_once() {
        let city = City::new(
            &["dong-a"],
            &[
                // Receiving support and with an open case: counted under support only.
                ("s1", 0, true, 40.0, High),
                // Receiving support but in no band: still counted as excluded.
                ("s2", 0, true, 0.0, Below),
                ("o1", 0, false, 30.0, Medium),
                // Open and supported last cycle: counted under the open case.
                ("o2", 0, false, 30.0, Medium),
                ("p1", 0, false, 20.0, Low),
                ("k1", 0, false, 20.0, Low),
            ],
        );
        let open = ids(&["s1", "o1", "o2", "not-in-this-cycle"]);
        let supported = ids(&["o2", "p1"]);
        let followed = Followed {
            open_case: &open,
            supported_last_cycle: &supported,
        };
        let s = city.select(&followed, 100);
        assert_eq!(
            (s.receiving_support, s.open_case, s.supported_last_cycle),
            (2, 2, 1)
        );
        assert_eq!(city.lists(&s), [("dong-a".into(), 1, ids(&["k1"]))]);
    }

    #[test]
    fn only_households_in_the_band_and_above_zero_are_at_risk() {
        let city = City::new(
            &["dong-a"],
            &[
                ("low", 0, false, 16.0, Low),
                ("none", 0, false, 12.0, Below),
                ("zero", 0, false, 0.0, Below),
                ("high", 0, false, 60.0, High),
                // The rule asks for a score above 0 as well as the band.
                ("banded-zero", 0, false, 0.0, Medium),
            ],
        );
        let s = city.select(&Followed::default(), 10);
        assert_eq!(
            city.lists(&s),
            [("dong-a".into(), 2, ids(&["high", "low"]))]
        );
        let medium = select(&city.households(), &Followed::default(), Medium, 10).unwrap();
        assert_eq!(city.lists(&medium), [("dong-a".into(), 1, ids(&["high"]))]);
    }

    #[test]
    fn equal_scores_rank_by_household_id_whatever_the_position() {
        let city = City::new(
            &["dong-a"],
            &[
                ("h-9", 0, false, 17.0, Low),
                ("h-10", 0, false, 17.0, Low),
                ("h-1", 0, false, 13.0, Low),
                ("h-3", 0, false, 17.0, Low),
                ("h-2", 0, false, 13.0, Low),
            ],
        );
        let s = city.select(&Followed::default(), 10);
        // Ids compare as text: "h-10" before "h-3" before "h-9".
        assert_eq!(
            city.lists(&s),
            [(
                "dong-a".into(),
                5,
                ids(&["h-10", "h-3", "h-9", "h-1", "h-2"])
            )]
        );
        assert_eq!(s.centres[0].flagged, [1, 3, 0, 2, 4]);
    }

    #[test]
    fn the_quota_is_cut_per_centre_from_the_top_of_each_list() {
        // 5 over 6/3/1: 3, 1.5, 0.5; the tied remainder goes to the larger centre.
        let mut hh = Vec::new();
        let a = ["a1", "a2", "a3", "a4", "a5", "a6"];
        for (i, id) in a.iter().enumerate() {
            hh.push((*id, 0, false, 10.0 + i as f32, Low));
        }
        for (i, id) in ["b1", "b2", "b3"].iter().enumerate() {
            hh.push((*id, 2, false, 30.0 - i as f32, Medium));
        }
        hh.push(("c1", 1, false, 90.0, High));
        // Listed out of name order: centres come out by dong name.
        let city = City::new(&["dong-a", "dong-c", "dong-b"], &hh);
        let s = city.select(&Followed::default(), 5);
        assert_eq!(
            city.lists(&s),
            [
                ("dong-a".into(), 6, ids(&["a6", "a5", "a4"])),
                ("dong-b".into(), 3, ids(&["b1", "b2"])),
                ("dong-c".into(), 1, ids(&[])),
            ]
        );
        // A quota above the demand sends everyone; a quota of 0 sends nobody but still reports
        // each centre's demand.
        let all = city.select(&Followed::default(), 4000);
        let sent: Vec<usize> = all.centres.iter().map(|c| c.flagged.len()).collect();
        assert_eq!(sent, [6, 3, 1]);
        let none = city.select(&Followed::default(), 0);
        assert!(none.centres.iter().all(|c| c.flagged.is_empty()));
        assert_eq!(none.centres.iter().map(|c| c.at_risk).sum::<u32>(), 10);
    }

    #[test]
    fn a_dong_named_twice_is_one_centre_and_empty_dongs_are_left_out() {
        let city = City::new(
            &["dong-a", "dong-b", "dong-a"],
            &[
                ("a1", 0, false, 20.0, Low),
                ("a2", 2, false, 25.0, Low),
                ("b1", 1, false, 5.0, Below),
            ],
        );
        let s = city.select(&Followed::default(), 10);
        assert_eq!(city.lists(&s), [("dong-a".into(), 2, ids(&["a2", "a1"]))]);
        let empty = City::new(&[], &[]);
        assert_eq!(empty.select(&Followed::default(), 10), Selection::default());
    }

    #[test]
    fn lists_that_do_not_line_up_are_refused_naming_the_field() {
        let city = City::new(&["dong-a"], &[("a1", 0, false, 20.0, Low)]);
        let h = city.households();
        let f = Followed::default();
        let short = RunHouseholds { scores: &[], ..h };
        assert_eq!(
            select(&short, &f, Low, 1).unwrap_err(),
            "scores: 0 values for 1 households"
        );
        let outside = RunHouseholds { dongs: &[1], ..h };
        assert!(
            select(&outside, &f, Low, 1)
                .unwrap_err()
                .starts_with("dongs[0]")
        );
    }
}
