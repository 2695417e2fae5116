//! The counters, histograms and gauge the simulated model servers expose,
//! rendered in the Prometheus text exposition format (0.0.4) with the seed
//! guide's metric names.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

use super::profile::Outcome;
use super::routing::Destination;

/// prometheus_client's default histogram buckets, seconds.
const LATENCY_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
const CONFIDENCE_BUCKETS: [f64; 10] = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
/// Accuracy is measured over the latest answers whose ground truth is known.
const ACCURACY_WINDOW: usize = 500;
/// Fewer labelled answers than this and no accuracy is reported.
const ACCURACY_MIN: usize = 50;
/// A series that served nothing for this long is gone, as the series of a
/// deleted pod disappear from a real scrape.
const IDLE_LIMIT: f64 = 30.0;

#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|b| value <= *b) {
            self.counts[i] += 1;
        }
        self.sum += value;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Debug, Clone)]
struct Series {
    predictions: u64,
    errors: u64,
    latency: Histogram,
    confidence: Histogram,
    labelled: VecDeque<bool>,
    /// Seconds since it last served a request.
    idle: f64,
}

impl Series {
    fn new() -> Series {
        Series {
            idle: 0.0,
            predictions: 0,
            errors: 0,
            latency: Histogram::new(&LATENCY_BUCKETS),
            confidence: Histogram::new(&CONFIDENCE_BUCKETS),
            labelled: VecDeque::with_capacity(ACCURACY_WINDOW),
        }
    }

    fn accuracy(&self) -> Option<f64> {
        (self.labelled.len() >= ACCURACY_MIN)
            .then(|| self.labelled.iter().filter(|c| **c).count() as f64 / self.labelled.len() as f64)
    }
}

/// Everything the simulated servers have counted since the world started.
#[derive(Debug, Default)]
pub struct Metrics {
    series: BTreeMap<Destination, Series>,
}

impl Metrics {
    pub fn record(&mut self, destination: &Destination, outcome: Outcome) {
        let series = match self.series.get_mut(destination) {
            Some(series) => series,
            None => self.series.entry(destination.clone()).or_insert_with(Series::new),
        };
        series.idle = 0.0;
        series.latency.observe(outcome.latency);
        if outcome.error {
            series.errors += 1;
            return;
        }
        series.predictions += 1;
        series.confidence.observe(outcome.confidence);
        if series.labelled.len() == ACCURACY_WINDOW {
            series.labelled.pop_front();
        }
        series.labelled.push_back(outcome.correct);
    }

    /// Time passed: series that stayed idle too long are dropped.
    pub fn age(&mut self, seconds: f64) {
        for series in self.series.values_mut() {
            series.idle += seconds;
        }
        self.series.retain(|_, s| s.idle <= IDLE_LIMIT);
    }

    /// The text exposition of the series `keep` selects.
    pub fn render(&self, keep: impl Fn(&Destination) -> bool) -> String {
        let chosen: Vec<(String, &Series)> = self
            .series
            .iter()
            .filter(|(d, _)| keep(d))
            .map(|(d, s)| (labels(d), s))
            .collect();
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, body: &dyn Fn(&mut String, &str, &Series)| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, series) in &chosen {
                body(&mut out, labels, series);
            }
        };
        family(
            "model_predictions_total",
            "counter",
            "Total predictions made",
            &|o, l, s| {
                let _ = writeln!(o, "model_predictions_total{{{l}}} {}", s.predictions);
            },
        );
        family(
            "model_prediction_errors_total",
            "counter",
            "Requests that failed without a prediction",
            &|o, l, s| {
                let _ = writeln!(o, "model_prediction_errors_total{{{l}}} {}", s.errors);
            },
        );
        family(
            "model_prediction_latency_seconds",
            "histogram",
            "Prediction latency",
            &|o, l, s| {
                s.latency.render(o, "model_prediction_latency_seconds", l);
            },
        );
        family(
            "model_prediction_confidence",
            "histogram",
            "Prediction confidence scores",
            &|o, l, s| {
                s.confidence.render(o, "model_prediction_confidence", l);
            },
        );
        family(
            "model_accuracy",
            "gauge",
            "Share of the latest labelled predictions that matched the ground truth",
            &|o, l, s| {
                if let Some(accuracy) = s.accuracy() {
                    let _ = writeln!(o, "model_accuracy{{{l}}} {accuracy}");
                }
            },
        );
        out
    }
}

fn labels(d: &Destination) -> String {
    // Label values here are Kubernetes names and versions; escape anyway.
    let escape = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!(
        "namespace=\"{}\",deployment=\"{}\",version=\"{}\",track=\"{}\"",
        escape(&d.namespace),
        escape(&d.deployment),
        escape(&d.version),
        escape(&d.track)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::scrape;

    fn destination(version: &str) -> Destination {
        Destination {
            namespace: "ml".into(),
            deployment: "web".into(),
            version: version.into(),
            track: "stable".into(),
        }
    }

    #[test]
    fn renders_what_the_scrape_parser_reads_back() {
        let mut metrics = Metrics::default();
        let ok = |latency: f64, correct: bool| Outcome {
            latency,
            confidence: 0.9,
            correct,
            error: false,
        };
        for i in 0..60 {
            metrics.record(&destination("2.0.5"), ok(0.02, i % 4 != 0));
        }
        metrics.record(
            &destination("2.0.5"),
            Outcome {
                error: true,
                ..ok(3.0, false)
            },
        );
        metrics.record(&destination("2.1.1"), ok(0.3, true));
        let samples = scrape::parse(&metrics.render(|_| true)).unwrap();
        let value = |name: &str, version: &str, extra: Option<(&str, &str)>| {
            samples
                .iter()
                .find(|s| {
                    s.name == name
                        && s.labels.iter().any(|(k, v)| k == "version" && v == version)
                        && extra.is_none_or(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
                })
                .map(|s| s.value)
        };
        assert_eq!(value("model_predictions_total", "2.0.5", None), Some(60.0));
        assert_eq!(value("model_prediction_errors_total", "2.0.5", None), Some(1.0));
        assert_eq!(value("model_accuracy", "2.0.5", None), Some(0.75));
        // Too few labelled answers: no accuracy rather than a noisy one.
        assert_eq!(value("model_accuracy", "2.1.1", None), None);
        let bucket = |le| value("model_prediction_latency_seconds_bucket", "2.0.5", Some(("le", le)));
        assert_eq!(bucket("0.025"), Some(60.0));
        assert_eq!(bucket("2.5"), Some(60.0));
        assert_eq!(bucket("5"), Some(61.0));
        assert_eq!(bucket("+Inf"), Some(61.0));
        assert_eq!(
            value("model_prediction_latency_seconds_count", "2.0.5", None),
            Some(61.0)
        );
        let only_bad = metrics.render(|d| d.version == "2.1.1");
        assert!(!only_bad.contains("2.0.5") && only_bad.contains("2.1.1"));
        // Series that stop serving go away after a while, like a pod's.
        metrics.age(20.0);
        metrics.record(&destination("2.0.5"), ok(0.02, true));
        metrics.age(20.0);
        let text = metrics.render(|_| true);
        assert!(text.contains("2.0.5") && !text.contains("2.1.1"), "{text}");
    }
}
