//! Cycles are named by their two months, `2026-11/12`; paths use `2026-11-12`.

/// A bimonthly cycle: Jan/Feb, Mar/Apr, … Nov/Dec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    pub year: u32,
    /// The first (odd) month.
    pub month: u32,
}

impl Cycle {
    /// Accepts `2026-11/12` or `2026-11-12`.
    pub fn parse(s: &str) -> Option<Cycle> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || !(b[7] == b'/' || b[7] == b'-') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let t = &s[r];
            t.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| t.parse().ok())?
        };
        let (year, m1, m2) = (num(0..4)?, num(5..7)?, num(8..10)?);
        ((2000..=2100).contains(&year) && m1 % 2 == 1 && m1 <= 11 && m2 == m1 + 1)
            .then_some(Cycle { year, month: m1 })
    }

    /// Path-safe id, e.g. `2026-11-12`.
    pub fn id(&self) -> String {
        format!("{}-{:02}-{:02}", self.year, self.month, self.month + 1)
    }

    /// Display name, e.g. `2026-11/12`.
    pub fn name(&self) -> String {
        format!("{}-{:02}/{:02}", self.year, self.month, self.month + 1)
    }

    pub fn previous(&self) -> Cycle {
        if self.month == 1 {
            Cycle {
                year: self.year - 1,
                month: 11,
            }
        } else {
            Cycle {
                year: self.year,
                month: self.month - 2,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cycle;

    #[test]
    fn names_ids_and_previous() {
        let c = Cycle::parse("2026-11/12").unwrap();
        assert_eq!(c, Cycle::parse("2026-11-12").unwrap());
        assert_eq!(c.id(), "2026-11-12");
        assert_eq!(c.name(), "2026-11/12");
        assert_eq!(c.previous().id(), "2026-09-10");
        assert_eq!(
            Cycle::parse("2027-01-02").unwrap().previous().name(),
            "2026-11/12"
        );
        for bad in [
            "2026-12/01",
            "2026-10/11",
            "2026-11/13",
            "26-11/12",
            "2026-1/2",
            "2026-11_12",
            "abcd-11/12",
        ] {
            assert!(Cycle::parse(bad).is_none(), "{bad}");
        }
    }
}
