//! The direct-scrape source against URLs that misbehave: a malformed
//! exposition, a histogram without +Inf, a huge answer, one that hangs, a
//! 404 and a closed port. Each gets a message naming the URL and what was
//! wrong; the good URL beside them keeps its data flowing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod prom_common;

use std::time::Duration;

use modeldeck::backends::metrics::MetricsBackend;
use modeldeck::backends::panels::Scope;
use modeldeck::backends::scraper::{Scraper, unix_now};
use modeldeck::config::metrics::MetricsSource;
use modeldeck::config::{LoadOptions, load};
use prom_common::{World, fake_server};

fn http(status: &str, body: &str) -> Option<Vec<u8>> {
    Some(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

#[test]
fn each_bad_url_is_named_and_the_good_one_goes_on() {
    let world = World::start(50.0);
    let good = world.urls[0].clone();
    let malformed = format!(
        "{}/metrics",
        fake_server(http("200 OK", "model_accuracy{version=\"1\" 0.9\n"))
    );
    let mut huge = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'#', 17 * 1024 * 1024));
    let huge = format!("{}/metrics", fake_server(Some(huge)));
    let hangs = format!("{}/metrics", fake_server(None));
    let missing = format!("{}/metrics", fake_server(http("404 Not Found", "no\n")));
    let closed = "http://127.0.0.1:1/metrics".to_owned();
    let urls = vec![
        good.clone(),
        malformed.clone(),
        huge.clone(),
        hangs.clone(),
        missing.clone(),
        closed.clone(),
    ];
    let scraper = Scraper::new(&urls, 100, Duration::from_secs(1), Duration::from_millis(1500)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Until the world has served its first requests (a few ticks).
    for _ in 0..50 {
        runtime.block_on(scraper.scrape_once());
        if scraper.targets()[0].series > 0 {
            break;
        }
    }
    let targets = scraper.targets();
    let error = |url: &str| {
        targets
            .iter()
            .find(|t| t.url == url)
            .unwrap()
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    assert_eq!(error(&good), "");
    assert!(targets[0].series > 10 && targets[0].last_ok.is_some());
    assert_eq!(
        error(&malformed),
        format!("{malformed}: line 1: expected ',' or '}}' after the value of label version")
    );
    assert_eq!(
        error(&huge),
        format!("{huge}: the exposition is larger than 16777216 bytes")
    );
    assert_eq!(error(&hangs), format!("{hangs}: no answer in time"));
    assert_eq!(error(&missing), format!("{missing}: HTTP 404 Not Found"));
    // Typed, so a caller can tell a refusal from a parse error.
    let typed = |url: &str| targets.iter().find(|t| t.url == url).unwrap().error.clone();
    assert!(matches!(
        typed(&missing),
        Some(modeldeck::backends::scraper::ScrapeError::Status { .. })
    ));
    assert!(matches!(
        typed(&malformed),
        Some(modeldeck::backends::scraper::ScrapeError::Parse { .. })
    ));
    assert_eq!(error(&closed), format!("connection refused at {closed}"));
    // A second round still reads the good URL.
    runtime.block_on(scraper.scrape_once());
    assert_eq!(scraper.targets()[0].error, None);
}

#[test]
fn panels_keep_working_beside_a_failing_url_and_say_so() {
    let world = World::start(50.0);
    let mut settings = load(&LoadOptions::default()).unwrap().config.settings;
    settings.metrics.source = MetricsSource::Scrape;
    settings.metrics.refresh = 1;
    // The stable deployment's URL, and a histogram without its +Inf bucket.
    let no_inf = "# TYPE model_prediction_latency_seconds histogram\n\
        model_prediction_latency_seconds_bucket{namespace=\"ml-serving\",version=\"9.9.9\",le=\"0.1\"} 5\n";
    let broken = format!("{}/metrics", fake_server(http("200 OK", no_inf)));
    settings.metrics.scrape.urls = vec![world.urls[0].clone(), broken];
    let backend = MetricsBackend::new(&settings.metrics, &|_| None).unwrap();
    let scraper = backend.scraper().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for _ in 0..3 {
        runtime.block_on(scraper.scrape_once());
        std::thread::sleep(Duration::from_millis(600));
    }
    let scope = Scope {
        namespace: "ml-serving".into(),
        deployment: String::new(),
    };
    let latency = settings.metrics.panels.iter().find(|p| p.name == "latency").unwrap();
    let data = runtime
        .block_on(backend.fetch(latency, &scope, unix_now(), 300.0))
        .unwrap();
    let versions: Vec<&str> = data.lines.iter().map(|l| l.version.as_str()).collect();
    // 2.0.5's quantiles are there; 9.9.9 has no +Inf bucket, so no quantile
    // (Prometheus gives NaN), rather than a made-up number.
    assert!(versions.contains(&"2.0.5"), "{versions:?}");
    assert!(!versions.contains(&"9.9.9"), "{versions:?}");
    assert_eq!(data.warning, None);
}
