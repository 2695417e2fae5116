//! A chart's data: lines of (time, value) points per version and stat, as
//! every metrics source gives them and every view and plot draws them.

/// One line of a chart: a version's values of one stat over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub version: String,
    pub track: String,
    pub stat: String,
    pub points: Vec<(f64, f64)>,
}

/// A quantile's stat name: 0.95 → "p95", 0.999 → "p99.9".
pub fn quantile_stat(q: f64) -> String {
    let percent = format!("{:.3}", q * 100.0);
    format!("p{}", percent.trim_end_matches('0').trim_end_matches('.'))
}

/// The runs of `points` without gaps: a pause longer than `factor` times
/// the usual spacing (a pod gone, a scrape failing) ends a run, so a chart
/// never draws a straight line across time with no data.
pub fn segments(points: &[(f64, f64)], factor: f64) -> Vec<&[(f64, f64)]> {
    let mut gaps: Vec<f64> = points.windows(2).map(|w| w[1].0 - w[0].0).collect();
    if gaps.is_empty() {
        return if points.is_empty() { Vec::new() } else { vec![points] };
    }
    gaps.sort_by(f64::total_cmp);
    let usual = gaps[gaps.len() / 2];
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        if points[i].0 - points[i - 1].0 > usual * factor {
            out.push(&points[start..i]);
            start = i;
        }
    }
    out.push(&points[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_named_by_their_percent() {
        assert_eq!(quantile_stat(0.95), "p95");
        assert_eq!(quantile_stat(0.999), "p99.9");
    }

    #[test]
    fn gaps_split_a_line_into_runs() {
        let points = [(0.0, 1.0), (5.0, 1.0), (10.0, 1.0), (60.0, 2.0), (65.0, 2.0)];
        let runs = segments(&points, 2.5);
        assert_eq!(runs, vec![&points[..3], &points[3..]]);
        assert_eq!(segments(&points[..1], 2.5), vec![&points[..1]]);
        assert!(segments(&[], 2.5).is_empty());
    }
}
