//! Splitting the city's quota across dong centres: proportional to each centre's at-risk
//! households, by largest remainder (Hamilton), never more than a centre's count.

/// `demand[i]` at-risk households in centre i → how many of them centre i receives. The total
/// is min(quota, Σ demand). Ties in remainder go to the larger demand, then the lower index.
pub fn allocate(quota: u32, demand: &[u32]) -> Vec<u32> {
    let total: u64 = demand.iter().map(|&d| d as u64).sum();
    if total <= quota as u64 {
        return demand.to_vec();
    }
    let q = quota as u64;
    let mut out: Vec<u32> = demand
        .iter()
        .map(|&d| (q * d as u64 / total) as u32)
        .collect();
    let given: u64 = out.iter().map(|&a| a as u64).sum();
    // Remainders as exact fractions over `total`: (q·d) mod total.
    let mut order: Vec<usize> = (0..demand.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = q * demand[a] as u64 % total;
        let rb = q * demand[b] as u64 % total;
        rb.cmp(&ra).then(demand[b].cmp(&demand[a])).then(a.cmp(&b))
    });
    for &i in order.iter().take((q - given) as usize) {
        out[i] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::allocate;

    #[test]
    fn everyone_fits_under_the_quota() {
        assert_eq!(allocate(4000, &[10, 0, 25]), vec![10, 0, 25]);
    }

    #[test]
    fn largest_remainder_hand_computed() {
        // 10 seats over 50/30/20 of 100 → 5/3/2 exactly.
        assert_eq!(allocate(10, &[50, 30, 20]), vec![5, 3, 2]);
        // 10 over 7/7/7: 3.33 each → 3/3/3 and the extra seat to the lowest index.
        assert_eq!(allocate(10, &[7, 7, 7]), vec![4, 3, 3]);
        // 4 over 1/10/5 (16): 0.25, 2.5, 1.25 → 0/2/1, remainders .25 .5 .25 → +1 to centre 1;
        // total 4.
        assert_eq!(allocate(4, &[1, 10, 5]), vec![0, 3, 1]);
    }

    #[test]
    fn never_more_than_demand_and_sums_to_quota() {
        let demand = [3u32, 1, 0, 999, 17, 250, 2];
        for q in 0..1272 {
            let a = allocate(q, &demand);
            assert_eq!(a.iter().sum::<u32>(), q.min(demand.iter().sum()));
            assert!(a.iter().zip(&demand).all(|(a, d)| a <= d), "{q}: {a:?}");
        }
    }
}
