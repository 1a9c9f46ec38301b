//! Splitting one amount over several lines: the only place where fen are divided.

/// Splits `total` over `weights` in proportion, rounding each share down, and gives the
/// fen lost to rounding to the last line with a non-zero weight.
///
/// - Sums exactly: the shares add up to `total` whenever some weight is positive; with no
///   positive weight there is nothing to split on and every share is 0.
/// - Never negative: a negative `total` or weight counts as 0.
/// - Never more than a line's weight while `total` fits in the weights: when the last line
///   cannot take the whole remainder (many lines worth 1 fen, say), what it cannot take goes
///   to the lines before it, last first. yudao gives the remainder to the last line blindly,
///   which can push that line below zero, and drops it when the last line is unselected.
///
/// Callers that discount cap `total` at the weights first ([`super::PriceDraft::discount`]);
/// freight is split by parcel units and is never capped.
///
/// Integer arithmetic in `i128` throughout: `total × weight` cannot overflow and no share
/// passes through floating point.
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let total = i128::from(total.max(0));
    let weights: Vec<i128> = weights.iter().map(|w| i128::from((*w).max(0))).collect();
    let sum: i128 = weights.iter().sum();
    if sum == 0 || total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<i128> = weights.iter().map(|w| total * w / sum).collect();
    let mut remainder = total - shares.iter().sum::<i128>();
    let capped = total <= sum;
    for (share, weight) in shares.iter_mut().zip(&weights).rev() {
        if remainder == 0 {
            break;
        }
        if *weight == 0 {
            continue;
        }
        let take = if capped {
            remainder.min(weight - *share)
        } else {
            remainder
        };
        *share += take;
        remainder -= take;
    }
    // Every share is at most `total`, which came from an i64.
    shares
        .into_iter()
        .map(|share| i64::try_from(share).unwrap_or(i64::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::allocate;

    #[test]
    fn splits_in_proportion_with_the_remainder_on_the_last_line() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![33, 33, 34]);
        assert_eq!(allocate(10, &[300, 700]), vec![3, 7]);
        assert_eq!(allocate(7, &[5]), vec![7]);
    }

    #[test]
    fn the_remainder_skips_trailing_zero_weights() {
        assert_eq!(allocate(100, &[1, 1, 1, 0, 0]), vec![33, 33, 34, 0, 0]);
        assert_eq!(allocate(5, &[0, 3, 0]), vec![0, 5, 0]);
    }

    #[test]
    fn nothing_to_split_on_gives_zeros() {
        assert_eq!(allocate(100, &[]), Vec::<i64>::new());
        assert_eq!(allocate(100, &[0, 0]), vec![0, 0]);
        assert_eq!(allocate(0, &[3, 4]), vec![0, 0]);
    }

    #[test]
    fn negative_inputs_count_as_zero() {
        assert_eq!(allocate(-5, &[1, 2]), vec![0, 0]);
        assert_eq!(allocate(6, &[-4, 2, 1]), vec![0, 4, 2]);
    }

    #[test]
    fn no_line_takes_more_than_its_weight_when_the_total_fits() {
        // Nine lines of 1 fen and one of 1 fen: floor gives 0 to all, the remainder of 9
        // cannot all land on the last line.
        let weights = [1; 10];
        let shares = allocate(9, &weights);
        assert_eq!(shares.iter().sum::<i64>(), 9);
        assert!(shares.iter().zip(&weights).all(|(s, w)| s <= w));
        assert_eq!(shares, vec![0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
        // The whole base: every line gets exactly its weight.
        assert_eq!(allocate(12, &[5, 3, 4]), vec![5, 3, 4]);
    }

    #[test]
    fn more_than_the_weights_still_sums_exactly() {
        // Freight of 1000 fen over 3 parcels' units.
        assert_eq!(allocate(1000, &[1, 2]), vec![333, 667]);
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let shares = allocate(i64::MAX, &[i64::MAX, i64::MAX, 1]);
        assert_eq!(
            shares.iter().map(|s| i128::from(*s)).sum::<i128>(),
            i128::from(i64::MAX)
        );
        assert!(shares.iter().all(|s| *s >= 0));
        assert_eq!(
            allocate(i64::MAX, &[1, 1]),
            vec![i64::MAX / 2, i64::MAX / 2 + 1]
        );
    }
}
