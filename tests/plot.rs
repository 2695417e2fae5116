//! `modeldeck plot` against the demo world's exporter: a PNG (decoded and
//! checked for a drawn chart) and an SVG (checked for its title, legend and
//! axes), and clear refusals for what cannot be drawn.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod prom_common;

use std::path::Path;
use std::process::{Command, Output};

use prom_common::World;

fn modeldeck(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("MODELDECK_CONFIG_DIR", "/nonexistent")
        .output()
        .unwrap()
}

fn scrape_config(dir: &Path, urls: &[String]) -> std::path::PathBuf {
    let urls: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    let file = dir.join("modeldeck.toml");
    std::fs::write(
        &file,
        format!(
            "[kubernetes]\nnamespace = \"ml-serving\"\n[metrics]\nsource = \"scrape\"\nrefresh = 1\n[metrics.scrape]\nurls = [{}]\n",
            urls.join(", ")
        ),
    )
    .unwrap();
    file
}

#[test]
fn a_png_and_an_svg_of_the_live_panels() {
    let world = World::start(60.0);
    let dir = tempfile::tempdir().unwrap();
    let config = scrape_config(dir.path(), &world.urls);

    let png = dir.path().join("latency.png");
    let out = modeldeck(
        &config,
        &["plot", "latency", "--out", png.to_str().unwrap(), "--collect", "3s"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("3 versions, latency over the"), "{stdout}");
    // The wait is announced, not silent.
    assert!(
        stderr.contains("collecting for 3s from 3 scrape targets before drawing"),
        "{stderr}"
    );
    let decoder = png::Decoder::new(std::fs::File::open(&png).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), modeldeck::plot::SIZE);
    // A blank canvas is all white; a chart has axes, text and coloured lines.
    let bytes = &pixels[..frame.buffer_size()];
    let inked = bytes.chunks(3).filter(|p| p.iter().any(|c| *c < 200)).count();
    let coloured = bytes
        .chunks(3)
        .filter(|p| p[0].abs_diff(p[1]) > 60 || p[1].abs_diff(p[2]) > 60)
        .count();
    assert!(inked > 5_000, "only {inked} drawn pixels");
    assert!(coloured > 500, "only {coloured} coloured pixels (no series lines?)");
    // No half-written file is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");

    let svg = dir.path().join("rate.svg");
    let out = modeldeck(
        &config,
        &["plot", "rate", "--out", svg.to_str().unwrap(), "--collect", "3s"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    for expected in [
        "Request rate",
        "2.0.5 stable",
        "2.1.0 canary",
        "2.1.1 shadow (serves no answers)",
        "time (UTC)",
        "req/s",
    ] {
        assert!(text.contains(expected), "the SVG lacks {expected:?}");
    }
}

#[test]
fn what_cannot_be_drawn_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = scrape_config(dir.path(), &["http://127.0.0.1:1/metrics".to_owned()]);
    let fails = |args: &[&str], code: i32, expected: &str| {
        let out = modeldeck(&config, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        stderr.into_owned()
    };
    let out = dir.path().join("x.png");
    let out = out.to_str().unwrap();
    // Usage errors exit 2, as the README says, in clap's words.
    fails(
        &["plot", "latency", "--out", "chart.jpg"],
        2,
        "error: invalid value 'chart.jpg' for '--out <FILE>': expected a file ending in .png or .svg, found .jpg",
    );
    let usage = fails(
        &["plot", "nope", "--out", out],
        2,
        "error: no panel named \"nope\"; panels: rate, latency, confidence, confidence-spread, accuracy, errors",
    );
    assert!(usage.contains("Usage: modeldeck plot"), "{usage}");
    fails(
        &["plot", "latency", "--stat", "p42", "--out", out],
        2,
        "--stat: panel latency has p50, p95, p99, not \"p42\"",
    );
    fails(
        &["plot", "rate", "--range", "soon", "--out", out],
        2,
        "expected a duration like 15m or 1h",
    );
    fails(
        &["plot", "rate", "--collect", "soon", "--out", out],
        2,
        "expected seconds (10) or a duration like 30s or 2m",
    );
    // A bare number of seconds is a --collect (as `sleep 10`); no data
    // to draw is a failure, exit 1, after saying what it waited for.
    let said = fails(
        &["plot", "rate", "--collect", "2", "--out", out],
        1,
        "no data: connection refused at http://127.0.0.1:1/metrics",
    );
    assert!(said.contains("collecting for 2s from 1 scrape target"), "{said}");
    assert!(!Path::new(out).exists());
}
