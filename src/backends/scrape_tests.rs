//! Tests of the exposition parser and the ring, kept apart so the parser stays short.
use super::*;

#[test]
fn a_churn_of_series_keeps_the_newest_within_the_limit() {
    let mut ring: Ring<String> = Ring::with_series_limit(4, 20);
    // "steady" is scraped every round; a new pod name comes each round.
    for round in 0..1000 {
        let t = f64::from(round);
        ring.push("steady", t, 1.0);
        ring.push(format!("pod-{round}").as_str(), t, 1.0);
    }
    assert!(ring.series() <= 20, "{} series kept", ring.series());
    assert_eq!(ring.len("steady"), 4);
    assert_eq!(ring.len("pod-999"), 1);
    assert_eq!(ring.len("pod-0"), 0);
    assert!(ring.evicted() >= 980);
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

const EXPOSITION: &str = r#"# HELP model_predictions_total Predictions served.
# TYPE model_predictions_total counter
model_predictions_total{version="2.0.5"} 1027
model_predictions_total{version="2.0.4"} 3 1700000000000

# a free comment
# HELP model_prediction_latency_seconds Latency.
# TYPE model_prediction_latency_seconds histogram
model_prediction_latency_seconds_bucket{le="0.005",version="2.0.5"} 10
model_prediction_latency_seconds_bucket{version="2.0.5",le="+Inf"} 100
model_prediction_latency_seconds_sum{version="2.0.5"} 1.5e1
model_prediction_latency_seconds_count{version="2.0.5"} 100
model_info { path = "C:\\m\"x\"\nz" , stage="prød", } NaN
queue_depth +Inf -5
drift -Inf
loss 1e-3
"#;

#[test]
fn parses_a_realistic_exposition() {
    let s = parse(EXPOSITION).unwrap();
    assert_eq!(s.len(), 10);
    assert_eq!((s[0].name.as_str(), s[0].value), ("model_predictions_total", 1027.0));
    assert_eq!(s[0].labels, labels(&[("version", "2.0.5")]));
    assert_eq!(s[1].value, 3.0); // timestamp dropped
    // labels come sorted by name whatever their order on the line
    assert_eq!(s[2].labels, labels(&[("le", "0.005"), ("version", "2.0.5")]));
    assert_eq!(s[3].labels, labels(&[("le", "+Inf"), ("version", "2.0.5")]));
    assert_eq!(
        (s[4].name.as_str(), s[4].value),
        ("model_prediction_latency_seconds_sum", 15.0)
    );
    assert_eq!(s[6].labels, labels(&[("path", "C:\\m\"x\"\nz"), ("stage", "prød")]));
    assert!(s[6].value.is_nan());
    assert_eq!(s[7].value, f64::INFINITY);
    assert_eq!(s[8].value, f64::NEG_INFINITY);
    assert_eq!(s[9].value, 0.001);
    assert_eq!(parse("").unwrap(), vec![]);
    assert_eq!(parse("\n  \r\n# only comments\n").unwrap(), vec![]);
}

#[test]
fn malformed_lines_name_line_and_expectation() {
    let cases = [
        ("ok 1\nmissing_value\n", 2, "expected a value"),
        ("ok 1\nok 2\nm{a=\"b\"}\n", 3, "expected a value"),
        ("m{a=\"open} 1\n", 1, "unterminated string"),
        ("ok 1\nm{a=\"x\\ty\"} 1\n", 2, "expected an escape"),
        ("m{a=\"x\\", 1, "expected an escape"),
        ("ok 1\n\nm abc\n", 3, "expected a number as value, found \"abc\""),
        ("m{a=\"b\" 1\n", 1, "expected ',' or '}'"),
        ("m{a=\"b\",\n", 1, "expected '}'"),
        ("m{a=\"b\"\n", 1, "expected '}'"),
        ("m{a} 1\n", 1, "expected '='"),
        ("m{a=b} 1\n", 1, "expected '\"'"),
        ("m{a=\"1\",a=\"2\"} 1\n", 1, "duplicate label a"),
        ("m 1 12.5\n", 1, "integer timestamp"),
        ("m 1 2 3\n", 1, "expected end of line"),
        ("{a=\"b\"} 1\n", 1, "expected a metric name"),
        ("9m 1\n", 1, "expected a metric name"),
        ("# TYPE m countr\n", 1, "expected one of counter"),
        ("# HELP\n", 1, "expected a metric name after # HELP"),
    ];
    for (text, line, expected) in cases {
        let err = parse(text).unwrap_err();
        assert_eq!(err.line, line, "{text:?}: {err}");
        assert!(err.message.contains(expected), "{text:?}: {err}");
    }
    let err = parse("m 1\nm x\n").unwrap_err();
    assert_eq!(err.to_string(), "line 2: expected a number as value, found \"x\"");
}

#[test]
fn rate_of_counters() {
    // steady: (30 - 0) / (30 - 0) = 1/s
    assert_eq!(rate(&[(0.0, 0.0), (10.0, 10.0), (20.0, 20.0), (30.0, 30.0)]), Some(1.0));
    // reset at t=30 (20 → 5): increase 10 + 10 + 5 (new value) + 10 = 35 over 40 s = 0.875/s
    let reset = [(0.0, 0.0), (10.0, 10.0), (20.0, 20.0), (30.0, 5.0), (40.0, 15.0)];
    assert_eq!(rate(&reset), Some(0.875));
    assert_eq!(rate(&[]), None);
    assert_eq!(rate(&[(5.0, 1.0)]), None);
    assert_eq!(rate(&[(5.0, 1.0), (5.0, 2.0)]), None); // zero span
    assert_eq!(rate(&[(5.0, 1.0), (4.0, 2.0)]), None); // out of order
    assert_eq!(rate(&[(0.0, 1.0), (2.0, f64::NAN)]), None);
}

// Total 100 observations.
#[rustfmt::skip]
const LATENCY: [(f64, f64); 8] = [(0.005, 10.0), (0.01, 30.0), (0.025, 60.0), (0.05, 80.0),
    (0.1, 94.0), (0.25, 98.0), (0.5, 100.0), (f64::INFINITY, 100.0)];

fn close(got: Option<f64>, want: f64) {
    let got = got.unwrap();
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

#[test]
fn quantiles_interpolate_within_the_bucket() {
    // p50: rank 50 → bucket (0.01, 0.025] holding 60-30=30; 0.01 + 0.015 * (50-30)/30 = 0.02
    close(histogram_quantile(0.5, &LATENCY), 0.02);
    // p95: rank 95 → bucket (0.1, 0.25] holding 98-94=4; 0.1 + 0.15 * (95-94)/4 = 0.1375
    close(histogram_quantile(0.95, &LATENCY), 0.1375);
    // p99: rank 99 → bucket (0.25, 0.5] holding 100-98=2; 0.25 + 0.25 * (99-98)/2 = 0.375
    close(histogram_quantile(0.99, &LATENCY), 0.375);
    // p0: rank 0 → first bucket (0, 0.005]; 0 + 0.005 * 0/10 = 0
    close(histogram_quantile(0.0, &LATENCY), 0.0);
    // order of input does not matter
    let mut reversed = LATENCY.to_vec();
    reversed.reverse();
    close(histogram_quantile(0.5, &reversed), 0.02);
}

#[test]
fn quantile_edges() {
    // 0.1:5, 0.5:8, +Inf:10; p90 rank 9 > 8 → +Inf bucket → last finite bound 0.5
    let b = [(0.1, 5.0), (0.5, 8.0), (f64::INFINITY, 10.0)];
    assert_eq!(histogram_quantile(0.9, &b), Some(0.5));
    assert_eq!(histogram_quantile(0.5, &[(0.1, 5.0), (0.5, 8.0)]), None); // no +Inf
    assert_eq!(histogram_quantile(0.5, &[(0.1, 0.0), (f64::INFINITY, 0.0)]), None); // zero count
    assert_eq!(histogram_quantile(0.5, &[(f64::INFINITY, 4.0)]), None); // no finite bucket
    assert_eq!(histogram_quantile(0.5, &[]), None);
    assert_eq!(histogram_quantile(-0.1, &b), Some(f64::NEG_INFINITY));
    assert_eq!(histogram_quantile(1.1, &b), Some(f64::INFINITY));
    assert!(histogram_quantile(f64::NAN, &b).unwrap().is_nan());
    // first bound ≤ 0: that bound, no interpolation from 0
    let negative = [(-1.0, 5.0), (f64::INFINITY, 10.0)];
    assert_eq!(histogram_quantile(0.25, &negative), Some(-1.0));
    // duplicate bounds are merged by summing: (0.1, 2+3=5), +Inf 10; p50 rank 5 → 0.1 * 5/5 = 0.1
    let duplicate = [(0.1, 2.0), (0.1, 3.0), (f64::INFINITY, 10.0)];
    close(histogram_quantile(0.5, &duplicate), 0.1);
}

#[test]
fn non_monotonic_counts_take_the_max_so_far() {
    // 10, 8, 20, 20 → fixed to 10, 10, 20, 20. p75: rank 15 → bucket (0.2, 0.4] holding 20-10=10;
    // 0.2 + 0.2 * (15-10)/10 = 0.3 (unfixed it would be 0.2 + 0.2 * 7/12 ≈ 0.3167)
    let b = [(0.1, 10.0), (0.2, 8.0), (0.4, 20.0), (f64::INFINITY, 20.0)];
    close(histogram_quantile(0.75, &b), 0.3);
}

#[test]
fn buckets_grouped_per_series() {
    let text = r#"lat_bucket{le="+Inf",version="2"} 4
lat_bucket{le="0.1",version="1"} 1
lat_bucket{le="0.1",version="2"} 3
lat_bucket{le="+Inf",version="1"} 2
lat_bucket{version="1"} 9
lat_count{version="1"} 2
other_bucket{le="0.1",version="1"} 7
"#;
    let groups = buckets_by_series(&parse(text).unwrap(), "lat");
    assert_eq!(
        groups,
        vec![
            (labels(&[("version", "1")]), vec![(0.1, 1.0), (f64::INFINITY, 2.0)]),
            (labels(&[("version", "2")]), vec![(0.1, 3.0), (f64::INFINITY, 4.0)]),
        ]
    );
    assert_eq!(buckets_by_series(&[], "lat"), vec![]);
}

#[test]
fn ring_bounds_and_windows() {
    let mut ring = Ring::new(3);
    for t in 0..5 {
        ring.push("a", f64::from(t), f64::from(t * 10));
    }
    ring.push("b", 1.0, 1.0);
    assert_eq!((ring.len("a"), ring.len("b"), ring.len("c")), (3, 1, 0));
    assert_eq!(ring.series(), 2);
    // oldest two (t=0, t=1) dropped
    assert_eq!(ring.window("a", 0.0), vec![(2.0, 20.0), (3.0, 30.0), (4.0, 40.0)]);
    assert_eq!(ring.window("a", 3.0), vec![(3.0, 30.0), (4.0, 40.0)]); // at or after
    assert_eq!(ring.window("c", 0.0), vec![]);
    let mut empty = Ring::new(0);
    empty.push("a", 1.0, 1.0);
    assert_eq!(empty.len("a"), 0);
}
