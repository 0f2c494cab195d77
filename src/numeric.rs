//! Small numeric helpers every part shares: the median and evenly spaced grids (one home each).

/// Median of the finite values (the mean of the middle two for an even count); `None` when there is none.
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) })
}

/// `n` evenly spaced points from `lo` to `hi` inclusive (lo + i·step, the last one exactly `hi`); one point,
/// `lo`, when `n` < 2.
pub fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![lo];
    }
    let step = (hi - lo) / (n - 1) as f64;
    (0..n).map(|i| if i + 1 == n { hi } else { lo + step * i as f64 }).collect()
}

/// Where a time falls among increasing times `ts` (the interpolation of every surface read-out in T).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bracket {
    /// At or before the first time.
    First,
    /// After the last time.
    Last,
    /// Between `ts[upper − 1]` and `ts[upper]` (at most the upper one), `weight` ∈ [0, 1] of the way (1 when the
    /// two times are equal).
    Between {
        /// Index of the upper time.
        upper: usize,
        /// Linear weight of the upper time.
        weight: f64,
    },
}

/// The [`Bracket`] of `t` in `ts` (increasing; empty gives [`Bracket::Last`]).
pub fn bracket(ts: &[f64], t: f64) -> Bracket {
    match ts.iter().position(|&ti| ti >= t) {
        Some(0) => Bracket::First,
        None => Bracket::Last,
        Some(j) => {
            let weight = if ts[j] > ts[j - 1] { ((t - ts[j - 1]) / (ts[j] - ts[j - 1])).clamp(0.0, 1.0) } else { 1.0 };
            Bracket::Between { upper: j, weight }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracket_of_times() {
        let ts = [1.0, 2.0, 4.0];
        assert_eq!(bracket(&ts, 0.5), Bracket::First);
        assert_eq!(bracket(&ts, 1.0), Bracket::First);
        assert_eq!(bracket(&ts, 3.0), Bracket::Between { upper: 2, weight: 0.5 });
        assert_eq!(bracket(&ts, 4.0), Bracket::Between { upper: 2, weight: 1.0 });
        assert_eq!(bracket(&ts, 5.0), Bracket::Last);
        assert_eq!(bracket(&[], 1.0), Bracket::Last);
    }

    #[test]
    fn median_of_odd_even_empty_and_non_finite() {
        assert_eq!(median([3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median([4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median([f64::NAN, 1.0, f64::INFINITY]), Some(1.0));
        assert_eq!(median([]), None);
    }

    #[test]
    fn linspace_ends_exactly() {
        let g = linspace(-1.0, 1.0, 5);
        assert_eq!(g, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(linspace(0.1, 0.7, 7).last(), Some(&0.7));
        assert_eq!(linspace(2.0, 3.0, 1), vec![2.0]);
    }
}
