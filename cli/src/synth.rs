//! `safetynet-cli synth`: deterministic synthetic households and provider files for the
//! scoring catalogue (tests, demos, benchmarks). The same seed and count always give the same
//! bytes: each household draws from its own generator seeded by (seed, position).
//!
//! Households carry a hidden crisis level (85 % none, 10 % mild, 4 % serious, 1 % severe) that
//! raises the odds of every indicator, so arrears, cut-offs and benefit losses cluster the way
//! they do in real crisis households.

use anyhow::{Context, Result};
use clap::Args;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct SynthArgs {
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 10_000)]
    pub households: u32,
    /// Directory for households.csv and one <provider>.csv per provider.
    #[arg(long)]
    pub out: PathBuf,
    /// Write only households with a non-zero value to provider files (as agencies often do);
    /// by default every household appears in every file.
    #[arg(long)]
    pub sparse: bool,
}

/// Ulsan's eup/myeon/dong centres with rough household weights.
const DONGS: &[(&str, u32)] = &[
    ("학성동", 5),
    ("반구1동", 6),
    ("반구2동", 5),
    ("복산1동", 6),
    ("복산2동", 4),
    ("중앙동", 4),
    ("우정동", 6),
    ("태화동", 6),
    ("다운동", 8),
    ("병영1동", 6),
    ("병영2동", 5),
    ("약사동", 4),
    ("성안동", 7),
    ("신정1동", 7),
    ("신정2동", 6),
    ("신정3동", 6),
    ("신정4동", 5),
    ("신정5동", 5),
    ("달동", 9),
    ("삼산동", 11),
    ("야음장생포동", 8),
    ("대현동", 9),
    ("수암동", 6),
    ("선암동", 5),
    ("무거동", 12),
    ("옥동", 9),
    ("방어동", 8),
    ("일산동", 5),
    ("화정동", 7),
    ("대송동", 4),
    ("전하1동", 6),
    ("전하2동", 5),
    ("남목1동", 5),
    ("남목2동", 4),
    ("농소1동", 9),
    ("농소2동", 8),
    ("농소3동", 7),
    ("강동동", 3),
    ("효문동", 6),
    ("송정동", 8),
    ("양정동", 3),
    ("염포동", 4),
    ("온산읍", 5),
    ("언양읍", 7),
    ("온양읍", 6),
    ("범서읍", 9),
    ("청량읍", 6),
    ("삼남읍", 5),
    ("서생면", 2),
    ("웅촌면", 2),
    ("두동면", 1),
    ("두서면", 1),
    ("상북면", 2),
    ("삼동면", 1),
];

/// Per indicator, in catalogue order: (id, agency, unit, prevalence in the general
/// population, typical monthly amount for `…_amount` indicators tied to a months indicator).
pub const INDICATORS: &[(&str, &str, &str, f64, f64)] = &[
    (
        "water_arrears_months",
        "waterworks",
        "months-overdue",
        0.02,
        0.0,
    ),
    (
        "water_arrears_amount",
        "waterworks",
        "amount",
        0.0,
        25_000.0,
    ),
    ("water_supply_cut", "waterworks", "flag", 0.002, 0.0),
    (
        "electricity_arrears_months",
        "kepco",
        "months-overdue",
        0.02,
        0.0,
    ),
    (
        "electricity_arrears_amount",
        "kepco",
        "amount",
        0.0,
        55_000.0,
    ),
    ("electricity_supply_limited", "kepco", "flag", 0.002, 0.0),
    (
        "gas_arrears_months",
        "citygas",
        "months-overdue",
        0.018,
        0.0,
    ),
    ("gas_arrears_amount", "citygas", "amount", 0.0, 60_000.0),
    ("gas_supply_cut", "citygas", "flag", 0.002, 0.0),
    (
        "health_premium_arrears_months",
        "nhis",
        "months-overdue",
        0.03,
        0.0,
    ),
    (
        "health_premium_arrears_amount",
        "nhis",
        "amount",
        0.0,
        110_000.0,
    ),
    ("catastrophic_medical_cost", "nhis", "amount", 0.01, 0.0),
    ("health_benefit_restricted", "nhis", "flag", 0.003, 0.0),
    ("severe_illness_registration", "nhis", "flag", 0.02, 0.0),
    ("long_term_hospitalisation_days", "nhis", "count", 0.01, 0.0),
    ("long_term_care_grade", "nhis", "flag", 0.015, 0.0),
    (
        "pension_premium_arrears_months",
        "nps",
        "months-overdue",
        0.03,
        0.0,
    ),
    ("pension_contribution_exempt", "nps", "flag", 0.02, 0.0),
    (
        "telecom_arrears_months",
        "kait",
        "months-overdue",
        0.025,
        0.0,
    ),
    ("telecom_arrears_amount", "kait", "amount", 0.0, 60_000.0),
    ("telecom_service_suspended", "kait", "flag", 0.004, 0.0),
    ("financial_delinquency_count", "kcis", "count", 0.03, 0.0),
    ("financial_delinquency_amount", "kcis", "amount", 0.0, 0.0),
    ("debt_adjustment_application", "ccrs", "flag", 0.005, 0.0),
    (
        "emergency_microloan_application",
        "kinfa",
        "flag",
        0.004,
        0.0,
    ),
    ("employment_insurance_loss", "keis", "flag", 0.015, 0.0),
    ("unemployment_benefit_ended", "keis", "flag", 0.008, 0.0),
    ("business_closure", "nts", "flag", 0.006, 0.0),
    ("industrial_accident_care", "comwel", "flag", 0.003, 0.0),
    ("basic_livelihood_cut", "ssis", "flag", 0.002, 0.0),
    ("basic_livelihood_rejected", "ssis", "flag", 0.004, 0.0),
    ("emergency_aid_history", "ssis", "flag", 0.006, 0.0),
    ("welfare_service_rejected", "ssis", "flag", 0.006, 0.0),
    ("medical_aid_suspended", "ssis", "flag", 0.001, 0.0),
    (
        "public_rental_arrears_months",
        "lh",
        "months-overdue",
        0.008,
        0.0,
    ),
    (
        "public_rental_arrears_amount",
        "lh",
        "amount",
        0.0,
        250_000.0,
    ),
    (
        "management_fee_arrears_months",
        "reb",
        "months-overdue",
        0.015,
        0.0,
    ),
    ("vulnerable_housing", "molit", "flag", 0.004, 0.0),
    ("eviction_proceedings", "court", "flag", 0.001, 0.0),
    ("local_tax_arrears_amount", "localtax", "amount", 0.02, 0.0),
    ("household_head_death", "mois", "flag", 0.002, 0.0),
    ("disaster_victim", "mois", "flag", 0.001, 0.0),
    ("single_middle_aged", "mois", "flag", 0.08, 0.0),
    ("suicide_attempt", "kfsp", "flag", 0.0003, 0.0),
    ("mental_health_crisis", "ncmh", "flag", 0.002, 0.0),
    ("prison_release", "moj", "flag", 0.0005, 0.0),
    ("care_leaver", "mohw", "flag", 0.0005, 0.0),
];

/// splitmix64: small, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        Rng(mix(seed ^ mix(stream.wrapping_add(0x9E37_79B9_7F4A_7C15))))
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The pseudonymous id of household `i`: a bijection of (seed, i), so ids never collide.
pub fn household_id(seed: u64, i: u32) -> String {
    format!("hh-{:016x}", mix((seed << 32) ^ i as u64))
}

/// One household's reference line and its 47 values (catalogue order).
pub struct Synth {
    pub id: String,
    pub dong: &'static str,
    pub size: u32,
    pub age_band: &'static str,
    pub receiving_support: bool,
    pub values: [f64; 47],
}

pub fn household(seed: u64, i: u32) -> Synth {
    let mut r = Rng::new(seed, i as u64);
    let total: u32 = DONGS.iter().map(|d| d.1).sum();
    let mut pick = r.range(0, total as u64 - 1) as u32;
    let dong = DONGS
        .iter()
        .find(|(_, w)| {
            if pick < *w {
                true
            } else {
                pick -= w;
                false
            }
        })
        .map_or(DONGS[0].0, |d| d.0);
    let size = match r.unit() {
        x if x < 0.35 => 1,
        x if x < 0.63 => 2,
        x if x < 0.81 => 3,
        x if x < 0.95 => 4,
        _ => r.range(5, 8) as u32,
    };
    let age_band = ["under-30", "30-39", "40-49", "50-64", "65-74", "75-plus"][[
        0.10, 0.27, 0.45, 0.72, 0.87, 1.01,
    ]
    .iter()
    .position(|&c| r.unit() < c)
    .unwrap_or(5)];
    let level = match r.unit() {
        x if x < 0.85 => 0,
        x if x < 0.95 => 1,
        x if x < 0.99 => 2,
        _ => 3,
    };
    let boost = [0.3, 3.0, 9.0, 20.0][level];
    let mut values = [0.0f64; 47];
    for (j, &(id, _, unit, prevalence, monthly)) in INDICATORS.iter().enumerate() {
        if id.ends_with("_amount") && monthly > 0.0 {
            // Tied to the months indicator just before it.
            let months = values[j - 1];
            if months > 0.0 {
                values[j] = (months * monthly * (0.7 + 0.6 * r.unit())).round();
            }
            continue;
        }
        let p = (prevalence * boost).min(0.9);
        let hit = r.unit() < p;
        values[j] = match (hit, unit) {
            (false, _) => 0.0,
            (true, "months-overdue") => r.range(1, 3 + 3 * level as u64) as f64,
            (true, "flag") => 1.0,
            (true, "count") if id.ends_with("_days") => r.range(7, 200) as f64,
            (true, "count") => r.range(1, 2 + level as u64) as f64,
            (true, _) if id == "catastrophic_medical_cost" => r.range(500_000, 20_000_000) as f64,
            (true, _) => r.range(50_000, 3_000_000) as f64,
        };
        if id == "financial_delinquency_count" && values[j] > 0.0 {
            values[j + 1] = r.range(1_000_000, 80_000_000) as f64;
        }
    }
    Synth {
        id: household_id(seed, i),
        dong,
        size,
        age_band,
        receiving_support: r.unit() < 0.04,
        values,
    }
}

/// Providers in catalogue order with their column positions.
pub fn providers() -> Vec<(&'static str, Vec<usize>)> {
    let mut out: Vec<(&str, Vec<usize>)> = Vec::new();
    for (j, (_, agency, ..)) in INDICATORS.iter().enumerate() {
        match out.iter_mut().find(|(a, _)| a == agency) {
            Some((_, cols)) => cols.push(j),
            None => out.push((agency, vec![j])),
        }
    }
    out
}

pub fn run(a: SynthArgs) -> Result<()> {
    write(&a.out, a.seed, a.households, a.sparse)?;
    eprintln!(
        "wrote {} households and {} provider files to {}",
        a.households,
        providers().len(),
        a.out.display()
    );
    Ok(())
}

pub fn write(dir: &Path, seed: u64, n: u32, sparse: bool) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let open = |name: &str| -> Result<BufWriter<File>> {
        let p = dir.join(name);
        Ok(BufWriter::with_capacity(
            1 << 20,
            File::create(&p).with_context(|| format!("creating {}", p.display()))?,
        ))
    };
    let provs = providers();
    let mut hh = open("households.csv")?;
    writeln!(hh, "household_id,dong,size,head_age_band,receiving_support")?;
    let mut files = Vec::new();
    for (p, cols) in &provs {
        let mut f = open(&format!("{p}.csv"))?;
        let names: Vec<&str> = cols.iter().map(|&j| INDICATORS[j].0).collect();
        writeln!(f, "household_id,{}", names.join(","))?;
        files.push(f);
    }
    let mut line = String::new();
    for i in 0..n {
        let h = household(seed, i);
        writeln!(
            hh,
            "{},{},{},{},{}",
            h.id, h.dong, h.size, h.age_band, h.receiving_support as u8
        )?;
        for ((_, cols), f) in provs.iter().zip(files.iter_mut()) {
            if sparse && cols.iter().all(|&j| h.values[j] == 0.0) {
                continue;
            }
            line.clear();
            line.push_str(&h.id);
            for &j in cols {
                line.push(',');
                line.push_str(&format!("{}", h.values[j]));
            }
            line.push('\n');
            f.write_all(line.as_bytes())?;
        }
    }
    hh.flush()?;
    for mut f in files {
        f.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_households_and_distinct_ids() {
        let a = household(7, 123);
        let b = household(7, 123);
        assert_eq!((a.id.clone(), a.dong, a.values), (b.id, b.dong, b.values));
        assert_ne!(household(8, 123).id, a.id);
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|i| household_id(7, i)).collect();
        assert_eq!(ids.len(), 10_000);
        assert_eq!(INDICATORS.len(), 47);
    }

    #[test]
    fn indicator_table_matches_the_catalogue() {
        let csv = include_str!("../../data/indicators.csv");
        for (line, (id, agency, unit, ..)) in csv.lines().skip(1).zip(INDICATORS) {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!((f[0], f[3], f[4]), (*id, *agency, *unit));
        }
    }
}
