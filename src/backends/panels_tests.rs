use super::*;
use crate::config::{LoadOptions, load};

fn defaults() -> MetricsSettings {
    let opts = LoadOptions {
        config_dir: "/nonexistent".into(),
        ..Default::default()
    };
    load(&opts).unwrap().config.settings.metrics
}

fn panel(name: &str) -> PanelSettings {
    defaults().panels.into_iter().find(|p| p.name == name).unwrap()
}

fn scope() -> Scope {
    Scope {
        namespace: "ml".into(),
        deployment: "web".into(),
    }
}

#[test]
fn default_panels_render_to_promql() {
    let m = defaults();
    let q = |name: &str| promql(&panel(name), &m, &scope());
    let sel = r#"{namespace="ml"}"#;
    assert_eq!(
        q("rate")[0].promql,
        format!("sum by (version, track) (rate(model_predictions_total{sel}[1m]))")
    );
    let latency = q("latency");
    assert_eq!(
        latency.iter().map(|l| l.stat.as_str()).collect::<Vec<_>>(),
        ["p50", "p95", "p99"]
    );
    assert_eq!(
        latency[1].promql,
        format!(
            "histogram_quantile(0.95, sum by (le, version, track) (rate(model_prediction_latency_seconds_bucket{sel}[1m])))"
        )
    );
    assert_eq!(
        q("confidence")[0].promql,
        format!(
            "sum by (version, track) (rate(model_prediction_confidence_sum{sel}[1m])) / sum by (version, track) (rate(model_prediction_confidence_count{sel}[1m]))"
        )
    );
    assert_eq!(
        q("accuracy")[0].promql,
        format!("avg by (version, track) (model_accuracy{sel})")
    );
    assert!(
        q("errors")[0]
            .promql
            .contains(" / (sum by (version, track) (rate(model_prediction_errors_total")
    );
    let custom = PanelSettings {
        kind: PanelKind::Promql,
        promql: "up{{matchers}, job=\"{deployment}\"}".into(),
        ..panel("rate")
    };
    assert_eq!(
        promql(&custom, &m, &scope())[0].promql,
        r#"up{namespace="ml", job="web"}"#
    );
}

fn key(name: &str, pairs: &[(&str, &str)]) -> SeriesKey {
    let mut labels: Labels = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    labels.sort();
    SeriesKey {
        name: name.into(),
        labels,
    }
}

const STABLE: [(&str, &str); 3] = [("namespace", "ml"), ("version", "1.0"), ("track", "stable")];

fn at(ring: &Ring<SeriesKey>, name: &str, t: f64) -> Vec<Line> {
    evaluate(&panel(name), &defaults(), &scope(), ring, (t, t, 1.0)).unwrap()
}

#[test]
fn a_counter_reset_counts_the_new_value_as_the_increase() {
    let mut ring = Ring::new(100);
    let counter = key("model_predictions_total", &STABLE);
    // 0 → 30 → reset → 6: increase 30 + 6 over 60 s.
    for (t, v) in [(0.0, 0.0), (30.0, 30.0), (60.0, 6.0)] {
        ring.push(&counter, t, v);
    }
    // Another namespace's series is not ours.
    ring.push(
        &key("model_predictions_total", &[("namespace", "other"), ("version", "1.0")]),
        0.0,
        0.0,
    );
    ring.push(
        &key("model_predictions_total", &[("namespace", "other"), ("version", "1.0")]),
        60.0,
        600.0,
    );
    let lines = at(&ring, "rate", 60.0);
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0].version.as_str(), lines[0].track.as_str()), ("1.0", "stable"));
    assert_eq!(lines[0].points, vec![(60.0, 36.0 / 60.0)]);
}

#[test]
fn quantiles_come_from_bucket_rates_including_inf() {
    let mut ring = Ring::new(100);
    let bucket = |le: &str| {
        let mut pairs = STABLE.to_vec();
        pairs.push(("le", le));
        key("model_prediction_latency_seconds_bucket", &pairs)
    };
    // Over 60 s: 60 observations ≤ 0.1, 30 more ≤ 0.5, 10 above every bound.
    for (le, total) in [("0.1", 60.0), ("0.5", 90.0), ("+Inf", 100.0)] {
        ring.push(&bucket(le), 0.0, 0.0);
        ring.push(&bucket(le), 60.0, total);
    }
    let lines = at(&ring, "latency", 60.0);
    let value = |stat: &str| lines.iter().find(|l| l.stat == stat).unwrap().points[0].1;
    // p50: rank 50 of 100 in the first bucket: 0.1 × 50/60.
    assert!((value("p50") - 0.1 * 50.0 / 60.0).abs() < 1e-12);
    // p95: rank 95 falls in +Inf, so the last finite bound.
    assert_eq!(value("p95"), 0.5);
    assert_eq!(value("p99"), 0.5);
    // Without the +Inf bucket there is no quantile (Prometheus gives NaN).
    let mut no_inf = Ring::new(100);
    for (le, total) in [("0.1", 60.0), ("0.5", 90.0)] {
        no_inf.push(&bucket(le), 0.0, 0.0);
        no_inf.push(&bucket(le), 60.0, total);
    }
    assert!(at(&no_inf, "latency", 60.0).is_empty());
}

#[test]
fn mean_ratio_and_gauge() {
    let mut ring = Ring::new(100);
    let series = |name: &str| key(name, &STABLE);
    for (name, end) in [
        ("model_prediction_confidence_sum", 45.0),
        ("model_prediction_confidence_count", 50.0),
        ("model_prediction_errors_total", 5.0),
        ("model_predictions_total", 45.0),
    ] {
        ring.push(&series(name), 0.0, 0.0);
        ring.push(&series(name), 10.0, end);
    }
    ring.push(&series("model_accuracy"), 5.0, 0.8);
    ring.push(&series("model_accuracy"), 9.0, 0.9);
    let one = |name: &str| at(&ring, name, 10.0)[0].points[0].1;
    assert!((one("confidence") - 0.9).abs() < 1e-12);
    assert!((one("errors") - 0.1).abs() < 1e-12);
    assert_eq!(one("accuracy"), 0.9);
    // Nothing yet: no line rather than a zero.
    assert!(at(&Ring::new(10), "errors", 10.0).is_empty());
}

#[test]
fn scrape_mode_refuses_what_only_prometheus_can_do() {
    let ring = Ring::new(10);
    let regex = MetricsSettings {
        matchers: r#"namespace=~"ml.*""#.into(),
        ..defaults()
    };
    let err = evaluate(&panel("rate"), &regex, &scope(), &ring, (0.0, 0.0, 1.0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("regex matchers need source = \"prometheus\""), "{err}");
    let custom = PanelSettings {
        kind: PanelKind::Promql,
        promql: "up".into(),
        ..panel("rate")
    };
    let err = evaluate(&custom, &defaults(), &scope(), &ring, (0.0, 0.0, 1.0)).unwrap_err();
    assert_eq!(err, PanelError::PromqlNeedsPrometheus);
    assert!(err.to_string().contains("needs source = \"prometheus\""));
}
