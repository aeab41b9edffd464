//! A provider's indicator column as stored: only the households with a value. Almost every
//! cell of the city's data is 0 (most households owe nobody anything), so a run reads and hands
//! the scoring component a few MB instead of a dense 500,000 × 47 grid.

/// One indicator's values for a cycle: household positions (ascending) and their values; every
/// other household holds 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseColumn {
    /// Households in the cycle when the column was stored.
    pub households: usize,
    pub rows: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseColumn {
    /// The non-zero cells of a dense column (NaN and negatives are kept: the data as sent).
    pub fn from_dense(values: &[f32]) -> SparseColumn {
        let mut c = SparseColumn {
            households: values.len(),
            ..SparseColumn::default()
        };
        for (r, &x) in values.iter().enumerate() {
            if x != 0.0 {
                c.rows.push(r as u32);
                c.values.push(x);
            }
        }
        c
    }

    /// A column stored dense (f32 little-endian by position), as before `0005-scoring-sparse`.
    pub fn from_dense_bytes(b: &[u8]) -> SparseColumn {
        SparseColumn::from_dense(&f32s_from_le_bytes(b))
    }

    /// `households` then (position, value) pairs, all little-endian u32 / f32.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.rows.len() * 8);
        out.extend_from_slice(&(self.households as u32).to_le_bytes());
        for (r, x) in self.rows.iter().zip(&self.values) {
            out.extend_from_slice(&r.to_le_bytes());
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Option<SparseColumn> {
        let (head, pairs) = b.split_at_checked(4)?;
        if !pairs.len().is_multiple_of(8) {
            return None;
        }
        let le = |c: &[u8]| [c[0], c[1], c[2], c[3]];
        let mut c = SparseColumn {
            households: u32::from_le_bytes(le(head)) as usize,
            rows: Vec::with_capacity(pairs.len() / 8),
            values: Vec::with_capacity(pairs.len() / 8),
        };
        for p in pairs.chunks_exact(8) {
            c.rows.push(u32::from_le_bytes(le(&p[..4])));
            c.values.push(f32::from_le_bytes(le(&p[4..])));
        }
        Some(c)
    }
}

/// f32 values as little-endian bytes: how dense columns (before `0005-scoring-sparse`) and a
/// run's scores are stored.
pub fn f32s_to_le_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The inverse of [`f32s_to_le_bytes`]; a trailing partial value is ignored.
pub fn f32s_from_le_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_columns_keep_every_non_zero_cell_through_storage() {
        let dense = [0.0, 3.0, 0.0, f32::NAN, -1.0, 0.0, 125_000.0];
        let c = SparseColumn::from_dense(&dense);
        assert_eq!(c.households, 7);
        assert_eq!(c.rows, [1, 3, 4, 6]);
        let back = SparseColumn::from_bytes(&c.to_bytes()).unwrap();
        assert_eq!((back.households, &back.rows), (7, &c.rows));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.values), bits(&c.values));
        // A column stored dense before 0005-scoring-sparse reads the same.
        let old = SparseColumn::from_dense_bytes(&f32s_to_le_bytes(&dense));
        assert_eq!((old.households, &old.rows), (7, &c.rows));
        assert_eq!(bits(&old.values), bits(&c.values));
        assert!(SparseColumn::from_bytes(&[1, 0, 0]).is_none());
        assert!(SparseColumn::from_bytes(&[1, 0, 0, 0, 9]).is_none());
    }
}
