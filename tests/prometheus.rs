//! The Prometheus backend against a real Prometheus scraping the sim's
//! exporter: what the console reads equals what promtool reads for the same
//! expression at the same instant, the shipped alerts fire, and bad answers
//! become clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod prom_common;

use std::time::Duration;

use modeldeck::backends::panels::{self, Scope};
use modeldeck::backends::prometheus::{PromError, Prometheus, parse_value};
use modeldeck::config::metrics::PrometheusSettings;
use modeldeck::config::{LoadOptions, load};
use prom_common::{Prometheus as Server, World, rules_with_hold};

fn client(url: &str, timeout: Duration) -> Prometheus {
    let settings = PrometheusSettings {
        url: url.into(),
        ..Default::default()
    };
    Prometheus::new(&settings, timeout, &|_| None).unwrap()
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn every_default_panel_reads_what_promtool_reads() {
    let world = World::start(60.0);
    let Some(server) = Server::start(&world.urls, None) else {
        return;
    };
    let prom = client(&server.url, Duration::from_secs(10));
    // Compared at an instant in the past, so both readers see the same data.
    let at = std::cell::Cell::new(0.0);
    let count = |expr: &str| {
        world
            .runtime
            .block_on(prom.query(expr, Some(at.get())))
            .ok()
            .and_then(|r| r.first().map(|s| s.value))
            .unwrap_or(0.0)
    };
    // Every version has a rate (two scrapes) and an accuracy (50 answers).
    server.wait_until("scraping all three versions", |_| {
        at.set(now() - 1.0);
        count("count(rate(model_predictions_total[1m]) > 0)") == 3.0 && count("count(model_accuracy)") == 3.0
    });

    let settings = load(&LoadOptions {
        config_dir: "/nonexistent".into(),
        ..Default::default()
    })
    .unwrap()
    .config
    .settings
    .metrics;
    let scope = Scope {
        namespace: "ml-serving".into(),
        deployment: "malaria-predictor".into(),
    };
    let at = at.get();
    let mut compared = 0;
    for panel in &settings.panels {
        for query in panels::promql(panel, &settings, &scope) {
            let ours = world.runtime.block_on(prom.query(&query.promql, Some(at))).unwrap();
            let theirs = server.promtool_instant(&query.promql, at);
            let theirs = theirs.as_array().unwrap();
            assert_eq!(ours.len(), theirs.len(), "{}", query.promql);
            // Rate, latency and accuracy exist for every version by now.
            if ["rate", "latency", "accuracy"].contains(&panel.name.as_str()) {
                assert_eq!(ours.len(), 3, "{}: {ours:?}", query.promql);
            }
            for sample in &ours {
                let twin = theirs
                    .iter()
                    .find(|t| {
                        let labels = t["metric"].as_object().unwrap();
                        labels.len() == sample.labels.len()
                            && labels
                                .iter()
                                .all(|(k, v)| sample.labels.get(k).map(String::as_str) == v.as_str())
                    })
                    .unwrap_or_else(|| panic!("{}: promtool lacks {:?}", query.promql, sample.labels));
                let value = parse_value(twin["value"][1].as_str().unwrap());
                assert!(
                    value == sample.value || (value.is_nan() && sample.value.is_nan()),
                    "{}: {} vs {value}",
                    query.promql,
                    sample.value
                );
                compared += 1;
            }
        }
    }
    // 10 expressions of 6 panels; the ratio of a version without a single
    // error or confidence sample yet may be absent.
    assert!(compared >= 15, "{compared}");

    let accuracy_panel = settings.panels.iter().find(|p| p.name == "accuracy").unwrap();
    let accuracy = panels::promql(accuracy_panel, &settings, &scope).remove(0);
    let by_version = world.runtime.block_on(prom.query(&accuracy.promql, Some(at))).unwrap();
    let of = |v: &str| by_version.iter().find(|s| s.labels["version"] == v).unwrap().value;
    assert!(of("2.1.1") < 0.85 && of("2.0.5") > 0.85, "{by_version:?}");
    let shadow = by_version.iter().find(|s| s.labels["version"] == "2.1.1").unwrap();
    assert_eq!(shadow.labels["track"], "shadow");

    // A range query gives the same series, over time.
    let rate = panels::promql(&settings.panels[0], &settings, &scope).remove(0);
    let range = world
        .runtime
        .block_on(prom.query_range(&rate.promql, at - 3.0, at, 1.0))
        .unwrap();
    assert_eq!(range.len(), 3);
    assert!(range.iter().all(|s| !s.points.is_empty()));
}

#[test]
fn the_shipped_alerts_fire_for_the_bad_candidate() {
    let world = World::start(60.0);
    let Some(server) = Server::start(&world.urls, Some(&rules_with_hold("1s"))) else {
        return;
    };
    let prom = client(&server.url, Duration::from_secs(10));
    server.wait_until("firing ModelAccuracyDegraded", |_| {
        world.runtime.block_on(prom.alerts()).is_ok_and(|alerts| {
            alerts.iter().any(|a| {
                a.name == "ModelAccuracyDegraded"
                    && a.state == modeldeck::domain::alerting::RuleState::Firing
                    && a.labels.get("version").map(|v| v.as_str()) == Some("2.1.1")
            })
        })
    });
    let alerts = world.runtime.block_on(prom.alerts()).unwrap();
    let fired = alerts.iter().find(|a| a.name == "ModelAccuracyDegraded").unwrap();
    assert!(fired.value < 0.85, "{fired:?}");
    assert_eq!(fired.summary, "Model accuracy below threshold");
    assert!(!fired.active_at.is_empty());
    // The good versions do not fire.
    assert!(
        !alerts
            .iter()
            .any(|a| a.labels.get("version").map(|v| v.as_str()) == Some("2.0.5"))
    );
    let rules = world.runtime.block_on(prom.rules()).unwrap();
    let names: Vec<&str> = rules["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "model_prediction_latency_p95",
            "ModelAccuracyDegraded",
            "HighPredictionLatency"
        ]
    );
}

#[test]
fn bad_queries_and_odd_values_are_named() {
    let world = World::start(10.0);
    let Some(server) = Server::start(&world.urls, None) else {
        return;
    };
    let prom = client(&server.url, Duration::from_secs(10));
    let run = |expr: &str| world.runtime.block_on(prom.query(expr, None));
    match run("sum(rate(model_predictions_total[1m]") {
        Err(PromError::Rejected { status, kind, message }) => {
            assert_eq!((status, kind.as_str()), (400, "bad_data"));
            assert!(message.contains("parse error"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(run("no_such_metric").unwrap().is_empty());
    assert_eq!(run("vector(1) / 0").unwrap()[0].value, f64::INFINITY);
    assert_eq!(run("vector(-1) / 0").unwrap()[0].value, f64::NEG_INFINITY);
    assert!(run("vector(0) / 0").unwrap()[0].value.is_nan());
    assert!(run("scalar(vector(0) / 0)").unwrap()[0].value.is_nan());
    // A long expression goes as a POST form and still works.
    let long = format!("vector(1){}", " + vector(0)".repeat(300));
    assert_eq!(run(&long).unwrap()[0].value, 1.0);
}

#[test]
fn hanging_huge_and_foreign_answers_become_errors() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let hang = client(&prom_common::fake_server(None), Duration::from_millis(500));
    let err = runtime.block_on(hang.query("up", None)).unwrap_err();
    assert!(matches!(err, PromError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().starts_with("no answer from http://127.0.0.1:"), "{err}");

    let mut huge = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b' ', 17 * 1024 * 1024));
    let big = client(&prom_common::fake_server(Some(huge)), Duration::from_secs(20));
    let err = runtime.block_on(big.query("up", None)).unwrap_err();
    assert!(matches!(err, PromError::TooLarge { .. }), "{err:?}");

    let html =
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 18\r\nConnection: close\r\n\r\n<html>oops</html>\n".to_vec();
    let proxy = client(&prom_common::fake_server(Some(html)), Duration::from_secs(5));
    let err = runtime.block_on(proxy.query("up", None)).unwrap_err();
    assert_eq!(
        err,
        PromError::Http {
            status: 502,
            body: "<html>oops</html>".into()
        }
    );

    // An alert in a state Prometheus does not have is named, not shown
    // as some other state.
    let body = r#"{"status":"success","data":{"alerts":[{"labels":{"alertname":"X"},"state":"burning","activeAt":"2026-01-01T00:00:00Z","value":"1"}]}}"#;
    let odd = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let odd = client(
        &prom_common::fake_server(Some(odd.into_bytes())),
        Duration::from_secs(5),
    );
    let err = runtime.block_on(odd.alerts()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("alert state: expected pending, firing or inactive, found \"burning\""),
        "{err}"
    );

    let closed = client("http://127.0.0.1:1", Duration::from_secs(5));
    let err = runtime.block_on(closed.query("up", None)).unwrap_err();
    assert_eq!(err.to_string(), "connection refused at http://127.0.0.1:1", "{err}");
}

#[test]
fn the_shipped_prometheus_files_pass_promtool_check() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/config/prometheus");
    for args in [["check", "config", "prometheus.yml"], ["check", "rules", "alerts.yml"]] {
        let Ok(out) = std::process::Command::new("promtool")
            .args(args)
            .current_dir(dir)
            .output()
        else {
            assert!(
                !prom_common::require_servers(),
                "promtool is required but is not installed"
            );
            return;
        };
        assert!(
            out.status.success(),
            "promtool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn plot_draws_history_from_prometheus() {
    let world = World::start(60.0);
    let Some(server) = Server::start(&world.urls, None) else {
        return;
    };
    let prom = client(&server.url, Duration::from_secs(10));
    server.wait_until("rates for all three versions", |_| {
        world
            .runtime
            .block_on(prom.query("count(rate(model_predictions_total[1m]) > 0)", None))
            .is_ok_and(|r| r.first().is_some_and(|s| s.value == 3.0))
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("modeldeck.toml");
    std::fs::write(
        &config,
        format!(
            "[kubernetes]\nnamespace = \"ml-serving\"\n[metrics]\nsource = \"prometheus\"\n[metrics.prometheus]\nurl = \"{}\"\n",
            server.url
        ),
    )
    .unwrap();
    let svg = dir.path().join("rate.svg");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "plot",
            "rate",
            "--range",
            "5m",
            "--out",
            svg.to_str().unwrap(),
        ])
        .env("MODELDECK_CONFIG_DIR", "/nonexistent")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("3 versions, rate over 5m"), "{stdout}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains(&format!("Prometheus {}", server.url)) && text.contains("2.1.1 shadow"));
}

/// A loopback server that answers an empty vector and hands over each
/// request's head.
fn recording_server() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            let body = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, rx)
}

#[test]
fn credentials_come_from_the_environment_or_a_file_and_are_sent() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (url, requests) = recording_server();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "from-a-file\n").unwrap();
    let env = |name: &str| match name {
        "PROM_TOKEN" => Some("from-the-env".to_owned()),
        "PROM_PASSWORD" => Some("hunter2".to_owned()),
        _ => None,
    };
    let cases = [
        (
            PrometheusSettings {
                token_env: "PROM_TOKEN".into(),
                ..Default::default()
            },
            "authorization: Bearer from-the-env",
        ),
        (
            PrometheusSettings {
                token_file: token_file.display().to_string(),
                ..Default::default()
            },
            "authorization: Bearer from-a-file",
        ),
        (
            PrometheusSettings {
                username: "ops".into(),
                password_env: "PROM_PASSWORD".into(),
                ..Default::default()
            },
            // base64("ops:hunter2")
            "authorization: Basic b3BzOmh1bnRlcjI=",
        ),
    ];
    for (settings, expected) in cases {
        let settings = PrometheusSettings {
            url: url.clone(),
            ..settings
        };
        let prom = Prometheus::new(&settings, Duration::from_secs(5), &env).unwrap();
        assert!(!format!("{prom:?}").contains("from-") && !format!("{prom:?}").contains("hunter2"));
        assert!(runtime.block_on(prom.query("up", None)).unwrap().is_empty());
        let request = requests.recv_timeout(Duration::from_secs(5)).unwrap().to_lowercase();
        assert!(request.contains(&expected.to_lowercase()), "{request}");
    }
}
