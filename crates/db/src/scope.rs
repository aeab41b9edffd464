//! Which dongs a caller's queries may see, decided once from who is calling and passed to every
//! query that lists or reads dong-owned records (residents, incidents, schedules, cases).

use crate::StoreError;

/// The records a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every dong (city staff, dispatchers, admins).
    City,
    /// One dong only (a dong welfare-centre worker).
    Dong(String),
    /// No dong-owned records at all (machines, officers, data providers).
    Nothing,
}

/// How a list query narrows by dong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DongFilter {
    /// No condition on dong.
    Any,
    /// `dong = ?` with this value.
    Only(String),
    /// The answer is empty whatever is stored: skip the query.
    Empty,
}

impl Scope {
    /// Whether a record of `dong` is visible.
    pub fn sees(&self, dong: &str) -> bool {
        match self {
            Scope::City => true,
            Scope::Dong(own) => own == dong,
            Scope::Nothing => false,
        }
    }

    /// `Ok` if a record of `dong` is visible, [`StoreError::OutOfScope`] otherwise.
    pub fn check(&self, dong: &str) -> Result<(), StoreError> {
        if self.sees(dong) {
            Ok(())
        } else {
            Err(StoreError::OutOfScope)
        }
    }

    /// The dong condition of a list query that asked for `requested` (a filter the caller
    /// chose, if any): a dong worker asking for another dong gets nothing, not an error, as a
    /// search with no matches.
    pub fn filter(&self, requested: Option<&str>) -> DongFilter {
        match (self, requested) {
            (Scope::Nothing, _) => DongFilter::Empty,
            (Scope::City, None) => DongFilter::Any,
            (Scope::City, Some(d)) => DongFilter::Only(d.to_string()),
            (Scope::Dong(own), None) => DongFilter::Only(own.clone()),
            (Scope::Dong(own), Some(d)) if own == d => DongFilter::Only(own.clone()),
            (Scope::Dong(_), Some(_)) => DongFilter::Empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dong_worker_sees_only_their_dong() {
        let s = Scope::Dong("taehwa-dong".into());
        assert!(s.sees("taehwa-dong"));
        assert!(!s.sees("samsan-dong"));
        assert_eq!(s.check("samsan-dong"), Err(StoreError::OutOfScope));
        assert_eq!(s.filter(None), DongFilter::Only("taehwa-dong".into()));
        assert_eq!(s.filter(Some("samsan-dong")), DongFilter::Empty);
    }

    #[test]
    fn city_staff_see_every_dong_and_machines_none() {
        assert_eq!(Scope::City.filter(None), DongFilter::Any);
        assert_eq!(
            Scope::City.filter(Some("samsan-dong")),
            DongFilter::Only("samsan-dong".into())
        );
        assert!(!Scope::Nothing.sees("taehwa-dong"));
        assert_eq!(Scope::Nothing.filter(None), DongFilter::Empty);
    }
}
