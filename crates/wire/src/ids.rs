//! Random identifiers and tokens from the host's secure random source.

/// `prefix` + 16 random hex characters, e.g. `res-9f2c01aa4b7e3d10`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", random_hex(8))
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("secure random source");
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = super::new_id("inc");
        assert!(a.starts_with("inc-") && a.len() == 20);
        assert_ne!(a, super::new_id("inc"));
    }
}
