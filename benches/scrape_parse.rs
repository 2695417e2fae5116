//! The direct-scrape source parses every /metrics answer at every refresh:
//! modeldeck's strict parser against prometheus-parse, a peer crate, on
//! the same expositions, in the same run (scripts/bench prints the ratio).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use modeldeck::backends::scrape;
use modeldeck::sim::traffic::Traffic;

/// The demo world's exposition after some traffic: three deployments, two
/// counters, two histograms and a gauge each.
fn demo_exposition() -> String {
    let cluster = modeldeck::sim::settled_demo().unwrap_or_else(|e| panic!("demo world: {e:?}"));
    let traffic = Traffic::new(200.0, 5);
    for _ in 0..20 {
        traffic.step(&cluster.lock(), 0.1);
    }
    traffic.render(None)
}

/// A bigger target: the same families for 40 deployments.
fn wide_exposition(demo: &str) -> String {
    (0..40)
        .map(|i| {
            demo.replace(
                "deployment=\"malaria-predictor",
                &format!("deployment=\"svc{i}-malaria-predictor"),
            )
        })
        .collect::<Vec<_>>()
        .join("")
}

fn parsers(c: &mut Criterion) {
    let demo = demo_exposition();
    let wide = wide_exposition(&demo);
    for (name, text) in [("demo", &demo), ("wide", &wide)] {
        let mut group = c.benchmark_group(format!("parse_{name}"));
        group.bench_function("modeldeck", |b| {
            b.iter(|| scrape::parse(black_box(text)).map(|s| s.len()).unwrap_or_default())
        });
        group.bench_function("prometheus_parse", |b| {
            b.iter(|| {
                let lines = black_box(text).lines().map(|l| Ok(l.to_owned()));
                prometheus_parse::Scrape::parse(lines)
                    .map(|s| s.samples.len())
                    .unwrap_or_default()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, parsers);
criterion_main!(benches);
