//! A/B comparison of two versions over the same window: the difference of
//! a metric and whether it is beyond noise at the 5% level. Proportions
//! (accuracy, error ratio) use a two-proportion z-test on the requests each
//! version served; other values a Welch t-test over the points of the
//! window. Both are the textbook forms; the UI names which was used.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    Welch,
    TwoProportion,
}

impl Test {
    pub fn name(self) -> &'static str {
        match self {
            Test::Welch => "Welch t-test",
            Test::TwoProportion => "two-proportion z-test",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub a: f64,
    pub b: f64,
    /// b − a.
    pub difference: f64,
    pub test: Test,
    /// t or z; None when there is too little data to test.
    pub statistic: Option<f64>,
    /// |statistic| beyond the two-sided 5% critical value.
    pub beyond_noise: Option<bool>,
}

/// Values at least `spacing` seconds apart, newest kept: points of a rate
/// over a 1m window taken every few seconds share most of their data, and
/// a test that treated them as independent would call any wobble real.
pub fn independent(points: &[(f64, f64)], spacing: f64) -> Vec<f64> {
    let mut kept = Vec::new();
    let mut next: Option<f64> = None;
    for (t, v) in points.iter().rev() {
        if next.is_none_or(|n| *t <= n) {
            kept.push(*v);
            next = Some(t - spacing);
        }
    }
    kept.reverse();
    kept
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample variance (n − 1).
fn variance(values: &[f64], mean: f64) -> Option<f64> {
    (values.len() > 1).then(|| values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64)
}

/// Welch's t and its Welch–Satterthwaite degrees of freedom.
pub fn welch(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    let (ma, mb) = (mean(a)?, mean(b)?);
    let (va, vb) = (variance(a, ma)? / a.len() as f64, variance(b, mb)? / b.len() as f64);
    let se2 = va + vb;
    if se2 <= 0.0 {
        // Two constant series: equal means are no difference, unequal ones
        // are as certain as it gets.
        return Some(if ma == mb {
            (0.0, f64::INFINITY)
        } else {
            (f64::INFINITY, f64::INFINITY)
        });
    }
    let t = (mb - ma) / se2.sqrt();
    let df = se2.powi(2) / (va.powi(2) / (a.len() - 1) as f64 + vb.powi(2) / (b.len() - 1) as f64);
    Some((t, df))
}

/// z of the pooled two-proportion test for proportions pa of na and pb of nb.
pub fn two_proportion(pa: f64, na: f64, pb: f64, nb: f64) -> Option<f64> {
    if na < 1.0 || nb < 1.0 || !(0.0..=1.0).contains(&pa) || !(0.0..=1.0).contains(&pb) {
        return None;
    }
    let pooled = (pa * na + pb * nb) / (na + nb);
    let se = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    if se == 0.0 {
        return Some(0.0);
    }
    Some((pb - pa) / se)
}

/// Two-sided 5% critical values of Student's t for 1..=30 degrees of freedom.
const T_CRITICAL: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

fn t_critical(df: f64) -> f64 {
    if df >= 30.5 || !df.is_finite() {
        return 1.96;
    }
    T_CRITICAL[(df.floor().max(1.0) as usize - 1).min(29)]
}

/// Compares the points of two versions' lines. `counts` are the requests
/// each version served in the window, for proportions.
pub fn compare(a: &[f64], b: &[f64], proportion: bool, counts: Option<(f64, f64)>) -> Option<Comparison> {
    let (ma, mb) = (mean(a)?, mean(b)?);
    let (test, statistic, critical) = match (proportion, counts) {
        (true, Some((na, nb))) => (Test::TwoProportion, two_proportion(ma, na, mb, nb), 1.96),
        _ => match welch(a, b) {
            Some((t, df)) => (Test::Welch, Some(t), t_critical(df)),
            None => (Test::Welch, None, 1.96),
        },
    };
    Some(Comparison {
        a: ma,
        b: mb,
        difference: mb - ma,
        test,
        statistic,
        beyond_noise: statistic.map(|s| s.abs() > critical),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_matches_a_hand_computation() {
        // a: mean 2, var 1 (n 3); b: mean 5, var 2.5 (n 4... computed below).
        let a = [1.0, 2.0, 3.0];
        let b = [3.0, 4.0, 6.0, 7.0];
        // var(b) = ((−2)²+(−1)²+1²+2²)/3 = 10/3; se² = 1/3 + (10/3)/4 = 1/3 + 5/6 = 7/6.
        let (t, df) = welch(&a, &b).unwrap();
        assert!((t - 3.0 / (7.0f64 / 6.0).sqrt()).abs() < 1e-12);
        // df = (7/6)² / ((1/3)²/2 + (5/6)²/3) = 1.3611 / (0.05556 + 0.23148) = 4.7419
        assert!((df - 4.741_935).abs() < 1e-5, "{df}");
        let c = compare(&a, &b, false, None).unwrap();
        assert_eq!((c.test, c.difference), (Test::Welch, 3.0));
        // t ≈ 2.777 against 2.776 (df 4): just beyond noise.
        assert_eq!(c.beyond_noise, Some(true));
    }

    #[test]
    fn two_proportions_match_a_hand_computation() {
        // 0.90 of 1000 vs 0.73 of 500: pooled 0.8433, se = sqrt(p(1−p)(1/1000+1/500)).
        let z = two_proportion(0.90, 1000.0, 0.73, 500.0).unwrap();
        let pooled: f64 = (900.0 + 365.0) / 1500.0;
        let se = (pooled * (1.0 - pooled) * (0.001 + 0.002)).sqrt();
        assert!((z - (0.73 - 0.90) / se).abs() < 1e-12);
        assert!(z < -8.0);
        let c = compare(&[0.90], &[0.73], true, Some((1000.0, 500.0))).unwrap();
        assert_eq!((c.test, c.beyond_noise), (Test::TwoProportion, Some(true)));
        // 0.90 of 20 vs 0.85 of 20 is within noise.
        let c = compare(&[0.90], &[0.85], true, Some((20.0, 20.0))).unwrap();
        assert_eq!(c.beyond_noise, Some(false));
    }

    #[test]
    fn overlapping_windows_count_once() {
        let points: Vec<(f64, f64)> = (0..=30).map(|i| (f64::from(i) * 10.0, f64::from(i))).collect();
        // Every 60 s back from the newest (300 s): 300, 240, 180, 120, 60, 0.
        assert_eq!(independent(&points, 60.0), [0.0, 6.0, 12.0, 18.0, 24.0, 30.0]);
        assert_eq!(independent(&points[..1], 60.0), [0.0]);
    }

    #[test]
    fn too_little_data_is_not_a_verdict() {
        assert_eq!(compare(&[1.0], &[2.0], false, None).unwrap().beyond_noise, None);
        assert!(compare(&[], &[2.0], false, None).is_none());
        assert_eq!(two_proportion(0.5, 0.0, 0.5, 10.0), None);
    }
}
