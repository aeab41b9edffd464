//! One row per case, with its targets and ratios, printed as a markdown table.

use crate::load::LoadReport;

/// One criterion of a row's target.
#[derive(Debug, Clone)]
pub struct Check {
    /// Shown in the target column (`None`: only shown when it fails, e.g. "no errors").
    pub target: Option<String>,
    /// Named in the met column when it fails.
    pub what: String,
    pub met: bool,
}

/// Something the row's main figure is divided by.
#[derive(Debug, Clone)]
pub enum Ratio {
    /// A fixed reference figure, e.g. Spin's.
    Reference { label: String, value: f64 },
    /// The main figure of another row, by case name (resolved when printing).
    Case(String),
}

/// One line of the results table.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub case: String,
    /// The main figure as shown, e.g. "12,345 req/s".
    pub result: String,
    /// The main figure as a number, for ratios and checks.
    pub value: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub errors: Option<u64>,
    pub checks: Vec<Check>,
    pub ratios: Vec<Ratio>,
    pub notes: Vec<String>,
    /// The case could not be measured.
    pub failed: bool,
}

impl Row {
    /// A throughput row from a load run: successes per second, p50, p99, errors (which must be 0).
    pub fn throughput(r: &LoadReport, unit: &str) -> Row {
        let per_sec = r.per_sec();
        let mut row = Row {
            result: format!("{} {unit}", thousands(per_sec)),
            value: Some(per_sec),
            p50_ms: r.percentile_ms(50.0),
            p99_ms: r.percentile_ms(99.0),
            errors: Some(r.errors()),
            ..Row::default()
        };
        row.checks.push(Check {
            target: None,
            what: "errors".into(),
            met: r.errors() == 0,
        });
        if let Some(e) = &r.first_error {
            row.notes.push(format!("first error: {e}"));
        }
        row
    }

    /// A single measured value, e.g. "42.1 µs".
    pub fn value(value: f64, decimals: usize, unit: &str) -> Row {
        Row {
            result: format!("{value:.decimals$} {unit}"),
            value: Some(value),
            ..Row::default()
        }
    }

    /// A row for a case that failed to run.
    pub fn failed(error: &anyhow::Error) -> Row {
        Row {
            result: "FAILED".into(),
            failed: true,
            notes: vec![format!("{error:#}").replace('\n', " ")],
            ..Row::default()
        }
    }

    /// Target: main figure ≥ `min` (`shown` is the target text, e.g. "≥ 7,800 req/s").
    pub fn at_least(mut self, min: f64, shown: impl Into<String>) -> Row {
        let met = self.value.is_some_and(|v| v >= min);
        self.checks.push(Check {
            target: Some(shown.into()),
            what: "rate".into(),
            met,
        });
        self
    }

    /// Target: main figure ≤ `max`.
    pub fn at_most(mut self, max: f64, shown: impl Into<String>) -> Row {
        let met = self.value.is_some_and(|v| v <= max);
        self.checks.push(Check {
            target: Some(shown.into()),
            what: "value".into(),
            met,
        });
        self
    }

    /// Target: p99 ≤ `max_ms`.
    pub fn p99_at_most(mut self, max_ms: f64) -> Row {
        let met = self.p99_ms.is_some_and(|p| p <= max_ms);
        self.checks.push(Check {
            target: Some(format!("p99 ≤ {max_ms} ms")),
            what: "p99".into(),
            met,
        });
        self
    }

    /// Any other criterion.
    pub fn check(mut self, target: impl Into<String>, met: bool) -> Row {
        let target = target.into();
        self.checks.push(Check {
            what: target.clone(),
            target: Some(target),
            met,
        });
        self
    }

    /// Ratio column: main figure ÷ a fixed reference figure.
    pub fn vs(mut self, label: impl Into<String>, value: f64) -> Row {
        self.ratios.push(Ratio::Reference {
            label: label.into(),
            value,
        });
        self
    }

    /// Ratio column: main figure ÷ another case's main figure.
    pub fn vs_case(mut self, case: impl Into<String>) -> Row {
        self.ratios.push(Ratio::Case(case.into()));
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Row {
        self.notes.push(note.into());
        self
    }

    /// Whether every check passed (and the case ran).
    pub fn met(&self) -> bool {
        !self.failed && self.checks.iter().all(|c| c.met)
    }

    fn met_text(&self) -> String {
        if self.failed {
            return "NO (failed)".into();
        }
        if self.checks.is_empty() {
            return "—".into();
        }
        let missed: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| !c.met)
            .map(|c| c.what.as_str())
            .collect();
        if missed.is_empty() {
            "yes".into()
        } else {
            format!("NO ({})", missed.join(", "))
        }
    }

    fn ratio_text(&self, rows: &[Row]) -> String {
        let Some(v) = self.value else {
            return "—".into();
        };
        let parts: Vec<String> = self
            .ratios
            .iter()
            .map(|r| match r {
                Ratio::Reference { label, value } => format!("{:.2}× {label}", v / value),
                Ratio::Case(name) => match rows.iter().find(|o| &o.case == name && !o.failed) {
                    Some(Row { value: Some(o), .. }) if *o > 0.0 => {
                        format!("{:.2}× {name}", v / o)
                    }
                    _ => format!("— ({name} not run)"),
                },
            })
            .collect();
        if parts.is_empty() {
            "—".into()
        } else {
            parts.join("; ")
        }
    }
}

/// `12345.6` → `"12,346"`.
pub fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v < 10.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.1}"),
        None => "—".into(),
    }
}

/// Renders the rows as a markdown table (columns padded for the terminal).
pub fn render(rows: &[Row]) -> String {
    let header = [
        "case", "result", "p50 ms", "p99 ms", "errors", "target", "met", "ratio", "notes",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let targets: Vec<&str> = r
                .checks
                .iter()
                .filter_map(|c| c.target.as_deref())
                .collect();
            vec![
                r.case.clone(),
                r.result.clone(),
                ms(r.p50_ms),
                ms(r.p99_ms),
                r.errors.map_or("—".into(), |e| e.to_string()),
                if targets.is_empty() {
                    "—".into()
                } else {
                    targets.join(", ")
                },
                r.met_text(),
                r.ratio_text(rows),
                r.notes.join("; ").replace('|', "/"),
            ]
        })
        .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cols: &[String]| {
        let padded: Vec<String> = cols
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(&header.map(String::from));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out += &format!("|-{}-|\n", rule.join("-|-"));
    for c in &cells {
        out += &line(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(7800.0), "7,800");
        assert_eq!(thousands(1234567.0), "1,234,567");
    }

    #[test]
    fn ratio_against_another_case() {
        let a = Row {
            case: "a".into(),
            value: Some(100.0),
            ..Row::default()
        };
        let b = Row {
            case: "b".into(),
            value: Some(25.0),
            ..Row::default()
        }
        .vs_case("a")
        .vs("ref", 50.0);
        assert_eq!(b.ratio_text(&[a, b.clone()]), "0.25× a; 0.50× ref");
        assert_eq!(
            b.ratio_text(std::slice::from_ref(&b)),
            "— (a not run); 0.50× ref"
        );
    }
}
