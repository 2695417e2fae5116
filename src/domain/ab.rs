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
    /// The Welch–Satterthwaite degrees of freedom of a t-test.
    pub df: Option<f64>,
    /// The two-sided p-value of the statistic.
    pub p_value: Option<f64>,
    /// p below 5%.
    pub beyond_noise: Option<bool>,
}

/// The A/B comparison as the view shows it, computed when data arrives
/// (never while drawing): A and B as (version, track), a row per panel.
#[derive(Debug, Clone, PartialEq)]
pub struct AbTable {
    pub a: (String, String),
    pub b: (String, String),
    pub rows: Vec<AbRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AbRow {
    /// The panel's title and statistic ("Latency p95").
    pub name: String,
    pub unit: String,
    /// None: too little data on one side.
    pub comparison: Option<Comparison>,
    /// A request rate is a version's share of the traffic: it measures
    /// the weight, not the version, so it gets no verdict.
    pub follows_weight: bool,
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

/// The two-sided p-value of a standard normal `z`.
pub fn p_normal(z: f64) -> f64 {
    if !z.is_finite() {
        return 0.0;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// The two-sided p-value of Student's `t` with `df` degrees of freedom:
/// the regularized incomplete beta I(df / (df + t²); df/2, 1/2).
pub fn p_student(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    if !df.is_finite() || df > 1e6 {
        return p_normal(t);
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0)
}

/// erfc by the continued-fraction-free Chebyshev fit of Numerical Recipes
/// (erfcc): relative error below 1.2e-7 everywhere.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The regularized incomplete beta function I_x(a, b), by its continued
/// fraction (modified Lentz), on the side where it converges fast.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-12 {
            break;
        }
    }
    h
}

/// ln Γ(x) by Lanczos (g = 7, n = 9), for x > 0.
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut sum = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        sum += g / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Compares the points of two versions' lines. `counts` are the requests
/// each version served in the window, for proportions.
pub fn compare(a: &[f64], b: &[f64], proportion: bool, counts: Option<(f64, f64)>) -> Option<Comparison> {
    let (ma, mb) = (mean(a)?, mean(b)?);
    let (test, statistic, df) = match (proportion, counts) {
        (true, Some((na, nb))) => (Test::TwoProportion, two_proportion(ma, na, mb, nb), None),
        _ => match welch(a, b) {
            Some((t, df)) => (Test::Welch, Some(t), Some(df)),
            None => (Test::Welch, None, None),
        },
    };
    let p_value = statistic.map(|s| match df {
        Some(df) => p_student(s, df),
        None => p_normal(s),
    });
    Some(Comparison {
        a: ma,
        b: mb,
        difference: mb - ma,
        test,
        statistic,
        df,
        p_value,
        beyond_noise: p_value.map(|p| p < 0.05),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_match_the_tables() {
        // Two-sided: z = 1.96 is 5%; t = 2.228 with 10 df is 5%; t = 2.0
        // with 10 df is 7.34%; t = 12.706 with 1 df is 5%.
        assert!((p_normal(1.96) - 0.05).abs() < 1e-4, "{}", p_normal(1.96));
        assert!(
            (p_student(2.228, 10.0) - 0.05).abs() < 1e-3,
            "{}",
            p_student(2.228, 10.0)
        );
        assert!((p_student(2.0, 10.0) - 0.0734).abs() < 1e-3, "{}", p_student(2.0, 10.0));
        assert!(
            (p_student(12.706, 1.0) - 0.05).abs() < 1e-3,
            "{}",
            p_student(12.706, 1.0)
        );
        assert!((p_student(0.0, 5.0) - 1.0).abs() < 1e-9);
        assert_eq!(p_student(f64::INFINITY, 3.0), 0.0);
    }

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
