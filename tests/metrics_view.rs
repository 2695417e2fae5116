//! The Metrics view: when panels are fetched (each on its own, never while
//! paused or elsewhere), what happens to late and failed answers (dropped;
//! kept and marked stale), and how the charts, the stat table and the A/B
//! comparison look (snapshots at 80×24 and 200×60, colour and ASCII).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use insta::assert_snapshot;
use modeldeck::app::action::{MetricsAction, MetricsEffect};
use modeldeck::app::metrics::MetricsState;
use modeldeck::app::{Action, Effect, KeyAction, ViewId, update};
use modeldeck::backends::metrics::PanelData;
use modeldeck::config::metrics::MetricsSource;
use modeldeck::domain::series::Line;

/// A console whose metrics come from three scraped URLs.
fn harness() -> Harness {
    let mut h = Harness::new();
    let mut settings = h.config.settings.metrics.clone();
    settings.source = MetricsSource::Scrape;
    h.state.metrics = MetricsState::new(&settings, "3 scraped URLs".into(), None);
    h.state.alerts = modeldeck::app::alerts::AlertsState::for_settings(&h.config.settings);
    h.state.alerts.source = "modeldeck's [[alerts]] rules".into();
    h
}

/// The fetches `action` asks for: (generation, panels).
fn fetches(effects: &[Effect]) -> Vec<(u64, Vec<String>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Metrics(MetricsEffect::Fetch { generation, panels, .. }) => Some((*generation, panels.clone())),
            _ => None,
        })
        .collect()
}

fn tick(h: &mut Harness, seconds: i64) -> Vec<Effect> {
    let later = h
        .state
        .clock
        .clone()
        .unwrap()
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap();
    update(&mut h.state, Action::Tick(later))
}

/// A gently moving line of `n` points ending now.
fn wave(end: f64, base: f64, swing: f64, n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let t = end - (n - 1 - i) as f64 * 5.0;
            (t, base + swing * (i as f64 / 4.0).sin())
        })
        .collect()
}

fn lines(end: f64, stat: &str, values: [(f64, f64); 3]) -> Vec<Line> {
    [("2.0.5", "stable"), ("2.1.0", "canary"), ("2.1.1", "shadow")]
        .into_iter()
        .zip(values)
        .map(|((version, track), (base, swing))| Line {
            version: version.into(),
            track: track.into(),
            stat: stat.into(),
            points: wave(end, base, swing, 60),
        })
        .collect()
}

/// Answers every panel with the demo's shape of data.
fn answer_all(h: &mut Harness, generation: u64) {
    let end = h.state.now().unwrap();
    let data = |lines: Vec<Line>| PanelData {
        lines,
        newest: Some(end),
        warning: None,
        top_bucket: None,
    };
    let mut latency = lines(end, "p50", [(0.037, 0.002), (0.033, 0.002), (0.04, 0.003)]);
    latency.extend(lines(end, "p95", [(0.09, 0.005), (0.08, 0.004), (0.85, 0.05)]));
    latency.extend(lines(end, "p99", [(0.1, 0.005), (0.095, 0.004), (2.0, 0.1)]));
    let mut spread = lines(end, "p10", [(0.6, 0.01), (0.65, 0.01), (0.55, 0.01)]);
    spread.extend(lines(end, "p50", [(0.9, 0.01), (0.92, 0.01), (0.8, 0.01)]));
    spread.extend(lines(end, "p90", [(0.99, 0.002), (0.99, 0.002), (0.97, 0.005)]));
    let answers = [
        ("rate", data(lines(end, "", [(18.0, 0.5), (2.0, 0.1), (9.0, 0.4)]))),
        ("latency", data(latency)),
        (
            "confidence",
            data(lines(end, "", [(0.86, 0.01), (0.9, 0.01), (0.8, 0.01)])),
        ),
        ("confidence-spread", data(spread)),
        (
            "accuracy",
            data(lines(end, "", [(0.9, 0.005), (0.93, 0.005), (0.73, 0.01)])),
        ),
        (
            "errors",
            data(lines(end, "", [(0.002, 0.001), (0.002, 0.001), (0.02, 0.003)])),
        ),
    ];
    for (name, data) in answers {
        h.dispatch(panel_answer(generation, name, Ok(data)));
    }
}

fn panel_answer(generation: u64, name: &str, result: Result<PanelData, String>) -> Action {
    Action::Metrics(MetricsAction::Panel {
        generation,
        name: name.into(),
        result,
    })
}

fn open(h: &mut Harness) -> u64 {
    let effects = update(&mut h.state, Action::Key(KeyAction::View(ViewId::Metrics)));
    let asked = fetches(&effects);
    assert_eq!(asked.len(), 1, "{effects:?}");
    asked[0].0
}

#[test]
fn panels_are_fetched_only_in_the_view_each_on_its_own() {
    let mut h = harness();
    // Elsewhere, ticks fetch nothing (no traffic over a bastion link for
    // charts nobody looks at).
    assert!(fetches(&tick(&mut h, 10)).is_empty());
    let generation = open(&mut h);
    // All five in flight: the next tick asks for none of them again.
    assert!(fetches(&tick(&mut h, 10)).is_empty());
    // One answers; only it is asked again once the refresh interval passed.
    h.dispatch(panel_answer(generation, "rate", Ok(PanelData::default())));
    let again = fetches(&tick(&mut h, 5));
    assert_eq!(again, vec![(generation, vec!["rate".to_owned()])]);
}

#[test]
fn a_failed_panel_keeps_its_lines_marked_stale_and_others_go_on() {
    let mut h = harness();
    let generation = open(&mut h);
    answer_all(&mut h, generation);
    let at = h.state.now().unwrap();
    h.dispatch(panel_answer(
        generation,
        "latency",
        Err("connection refused at http://127.0.0.1:9/metrics".into()),
    ));
    let latency = h.state.metrics.panel("latency").unwrap();
    assert!(latency.data.as_ref().is_some_and(|d| !d.lines.is_empty()), "lines kept");
    assert!(latency.is_stale(at, h.state.metrics.refresh));
    assert!(
        !h.state
            .metrics
            .panel("rate")
            .unwrap()
            .is_stale(at, h.state.metrics.refresh)
    );
    h.press("j");
    assert_snapshot!("metrics_stale_panel_120x30", h.render(120, 30));
}

#[test]
fn a_new_range_drops_answers_on_their_way() {
    let mut h = harness();
    let first = open(&mut h);
    let effects = update(&mut h.state, Action::Key(KeyAction::RangeLonger));
    let asked = fetches(&effects);
    assert_eq!(asked.len(), 1);
    assert!(asked[0].0 > first && asked[0].1.len() == 6);
    assert_eq!(h.state.metrics.range_label(), "15m");
    h.dispatch(panel_answer(first, "rate", Ok(PanelData::default())));
    assert!(
        h.state.metrics.panel("rate").unwrap().data.is_none(),
        "a late answer for 5m is not 15m data"
    );
    // :range takes a label, and says what it wants when it gets another.
    h.press(":");
    h.type_text("range 2h");
    h.press("enter");
    assert!(
        h.render(120, 30)
            .contains("range: expected one of 5m, 15m, 1h, 6h, found \"2h\"")
    );
}

#[test]
fn paused_charts_hold_still_until_resumed() {
    let mut h = harness();
    let generation = open(&mut h);
    answer_all(&mut h, generation);
    h.press("p");
    assert!(h.state.metrics.paused);
    assert!(fetches(&tick(&mut h, 60)).is_empty());
    let resumed = update(&mut h.state, Action::Key(KeyAction::Pause));
    assert_eq!(fetches(&resumed)[0].1.len(), 6);
}

#[test]
fn the_live_view_at_both_sizes() {
    let mut h = harness();
    let generation = open(&mut h);
    answer_all(&mut h, generation);
    h.press("j j");
    for (w, ht) in [(80, 24), (200, 60)] {
        assert_snapshot!(format!("metrics_live_{w}x{ht}"), h.render(w, ht));
    }
}

#[test]
fn the_ab_comparison_names_its_test() {
    let mut h = harness();
    let generation = open(&mut h);
    answer_all(&mut h, generation);
    h.press("c");
    let screen = h.render(200, 60);
    assert!(
        screen.contains("A = 2.0.5 stable") && screen.contains("B = 2.1.0 canary"),
        "{screen}"
    );
    assert!(screen.contains("two-proportion z-test") && screen.contains("Welch t-test"));
    // Each verdict names its statistic, degrees of freedom and p-value; a
    // request rate follows the weight, so it gets none.
    let latency = screen.lines().rfind(|l| l.contains("Latency p95")).unwrap();
    assert!(latency.contains(", df ") && latency.contains("p "), "{latency}");
    let accuracy = screen.lines().rfind(|l| l.contains("Accuracy")).unwrap();
    assert!(accuracy.contains("z = ") && accuracy.contains("p "), "{accuracy}");
    let rate = screen.lines().rfind(|l| l.contains("Request rate")).unwrap();
    assert!(rate.contains("no verdict: follows the weight"), "{rate}");
    // The tests ran when the data came, not while drawing: the table is
    // in the state, and a new answer recomputes it.
    let before = h.state.metrics.ab.clone().expect("the A/B table is computed on update");
    assert_eq!(before.b.0, "2.1.0");
    answer_all(&mut h, generation);
    assert_eq!(h.state.metrics.ab.as_ref(), Some(&before), "same data, same table");
    // v sets the next version against A, round the others.
    h.press("v");
    assert!(h.render(200, 60).contains("B = 2.1.1 shadow"));
    h.press("v");
    assert!(h.render(200, 60).contains("B = 2.1.0 canary"));
    assert_snapshot!("metrics_compare_200x60", screen);
}

#[test]
fn ascii_and_no_colour_charts_tell_lines_apart_by_marker() {
    let mut h = harness();
    h.ascii = true;
    let generation = open(&mut h);
    answer_all(&mut h, generation);
    let screen = h.render(120, 40);
    assert!(screen.is_ascii(), "{screen}");
    assert_snapshot!("metrics_ascii_120x40", screen);
}

#[test]
fn alerts_and_the_guard_banner() {
    use modeldeck::backends::prometheus::ActiveAlert;
    use modeldeck::config::guard::GuardAction;
    use modeldeck::ops::guard::GuardEvent;
    let mut h = harness();
    let at = h.state.now().unwrap();
    let alert = |name: &str, state: &str, version: &str, track: &str, value: f64, ago: i64| ActiveAlert {
        name: name.into(),
        state: modeldeck::domain::alerting::RuleState::from_prometheus(state).unwrap(),
        active_at: jiff::Timestamp::from_second(at as i64 - ago).unwrap().to_string(),
        value,
        labels: [
            ("alertname", name),
            ("version", version),
            ("track", track),
            ("namespace", "ml-serving"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect(),
        summary: "Model accuracy below threshold".into(),
    };
    let list = vec![
        alert("HighPredictionLatency", "pending", "2.1.1", "shadow", 0.81, 20),
        alert("ModelAccuracyDegraded", "firing", "2.1.1", "canary", 0.72, 340),
    ];
    h.dispatch(Action::Metrics(MetricsAction::Alerts { result: Ok(list), at }));
    h.dispatch(Action::Metrics(MetricsAction::Guards {
        reports: vec![],
        events: vec![GuardEvent {
            at,
            deployment: "malaria-predictor-canary".into(),
            rule: "ModelAccuracyDegraded".into(),
            version: "2.1.1".into(),
            action: GuardAction::Undo,
            outcome: Ok(
                "roll back deployment ml-serving/malaria-predictor-canary from revision 2 to revision 1".into(),
            ),
        }],
    }));
    h.press("5");
    // Firing sorts first; the banner and the status line carry the guard.
    let screen = h.render(120, 30);
    assert!(
        screen.find("firing").unwrap() < screen.find("pending").unwrap(),
        "{screen}"
    );
    assert_snapshot!("alerts_guard_120x30", screen);
    // A failed refresh keeps the list and says how old it is.
    h.dispatch(Action::Metrics(MetricsAction::Alerts {
        result: Err("connection refused at http://127.0.0.1:9/metrics".into()),
        at: at + 30.0,
    }));
    assert!(
        h.render(200, 30)
            .contains("stale, 0s old: connection refused at http://127.0.0.1:9/metrics")
    );
    let screen = h.render(80, 24);
    // The selected alert whole at 80 columns: its summary, every label.
    let detail: String = screen
        .lines()
        .skip_while(|l| !l.contains("┌ Alert "))
        .take(4)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(detail.contains("version=2.1.1"), "{screen}");
    assert!(detail.contains("summary Model accuracy below threshold"), "{screen}");
    assert_snapshot!("alerts_guard_80x24", screen);
}

#[test]
fn one_version_on_two_tracks_is_two_series_and_a_finished_track_says_so() {
    let mut h = harness();
    let generation = open(&mut h);
    let end = h.state.now().unwrap();
    // 2.0.5 serves 20/s as stable now; ten minutes ago it was a shadow,
    // mirrored at 4/s, and that series stopped.
    let old: Vec<(f64, f64)> = (0..20).map(|i| (end - 900.0 + f64::from(i) * 5.0, 4.0)).collect();
    let line = |track: &str, points: Vec<(f64, f64)>| Line {
        version: "2.0.5".into(),
        track: track.into(),
        stat: String::new(),
        points,
    };
    let lines = vec![line("shadow", old), line("stable", wave(end, 20.0, 0.0, 30))];
    h.dispatch(panel_answer(
        generation,
        "rate",
        Ok(PanelData {
            lines,
            newest: Some(end),
            warning: None,
            top_bucket: None,
        }),
    ));
    let screen = h.render(80, 24);
    let header = screen.lines().find(|l| l.contains("PANEL")).unwrap();
    let rate = screen.lines().find(|l| l.contains("Request rate")).unwrap();
    // Each column starts at its swatch.
    let stable = header.find("━ 2.0.5 stable").expect(header);
    let shadow = header.find("━ 2.0.5 was shadow").expect(header);
    let at = |column: usize| rate.chars().skip(column).take(10).collect::<String>();
    let char_column = |byte: usize| header[..byte].chars().count();
    assert!(at(char_column(stable)).starts_with("20.0/s"), "{screen}");
    assert!(at(char_column(shadow)).starts_with("4.00/s"), "{screen}");
}

#[test]
fn alerts_read_in_the_panels_units_and_resolve_when_their_version_is_gone() {
    use modeldeck::backends::prometheus::ActiveAlert;
    use modeldeck::domain::rollout::RolloutPhase;
    let mut h = harness();
    let at = h.state.now().unwrap();
    let alert = |name: &str, version: &str, track: &str, value: f64| ActiveAlert {
        name: name.into(),
        state: modeldeck::domain::alerting::RuleState::Firing,
        active_at: jiff::Timestamp::from_second(at as i64 - 95).unwrap().to_string(),
        value,
        labels: [
            ("alertname", name),
            ("version", version),
            ("track", track),
            ("namespace", "ml-serving"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect(),
        summary: "summary".into(),
    };
    let list = vec![
        alert("HighPredictionLatency", "2.1.1", "canary", 0.81),
        alert("ModelAccuracyDegraded", "2.1.1", "shadow", 0.72),
    ];
    h.dispatch(Action::Metrics(MetricsAction::Alerts { result: Ok(list), at }));
    h.press("5");
    let screen = h.render(120, 30);
    assert!(
        screen.contains("810 ms"),
        "latency in ms, as Metrics shows it:\n{screen}"
    );
    assert!(screen.contains("2 firing"), "{screen}");
    // The cluster says 2.1.1 no longer runs on the canary (undone), but
    // still as the shadow.
    let mut canary = common::rollouts::rollout("malaria-predictor-canary", "2.1.0", RolloutPhase::Healthy, "", 1);
    canary.labels.insert("track".into(), "canary".into());
    let mut shadow = common::rollouts::rollout("malaria-predictor-shadow", "2.1.1", RolloutPhase::Healthy, "", 1);
    shadow.labels.insert("track".into(), "shadow".into());
    let snapshot = common::rollouts::snapshot(&h, vec![canary, shadow], Default::default(), Default::default());
    h.dispatch(snapshot);
    let screen = h.render(120, 30);
    assert!(screen.contains("1 firing"), "{screen}");
    let latency = screen.lines().find(|l| l.contains("HighPredictionLatency")).unwrap();
    assert!(
        latency.contains("resolved") && latency.contains("2.1.1 no longer runs on canary"),
        "{screen}"
    );
    let accuracy = screen.lines().find(|l| l.contains("ModelAccuracyDegraded")).unwrap();
    assert!(accuracy.contains("firing") && accuracy.contains("95s"), "{screen}");
}

#[test]
fn a_rollouts_request_rate_is_its_own_tracks_series() {
    use modeldeck::domain::rollout::RolloutPhase;
    let mut h = common::rollouts::connected();
    let mut settings = h.config.settings.metrics.clone();
    settings.source = MetricsSource::Scrape;
    h.state.metrics = MetricsState::new(&settings, "3 scraped URLs".into(), None);
    let generation = open(&mut h);
    let end = h.state.now().unwrap();
    // 2.1.1 was released into the canary and undone (its canary series is
    // at 0); it still runs as the shadow at 9.8/s.
    let line = |track: &str, value: f64| Line {
        version: "2.1.1".into(),
        track: track.into(),
        stat: String::new(),
        points: wave(end, value, 0.0, 20),
    };
    h.dispatch(panel_answer(
        generation,
        "rate",
        Ok(PanelData {
            lines: vec![line("canary", 0.0), line("shadow", 9.8)],
            newest: Some(end),
            warning: None,
            top_bucket: None,
        }),
    ));
    let mut shadow = common::rollouts::rollout("malaria-predictor-shadow", "2.1.1", RolloutPhase::Healthy, "", 1);
    shadow.labels.insert("track".into(), "shadow".into());
    h.press("2");
    let snapshot = common::rollouts::snapshot(&h, vec![shadow], Default::default(), Default::default());
    h.dispatch(snapshot);
    let screen = h.render(100, 24);
    let row = screen.lines().find(|l| l.contains("malaria-predictor-shadow")).unwrap();
    assert!(row.contains("9.80/s"), "{screen}");
}

#[test]
fn a_range_longer_than_the_data_says_how_far_back_it_goes() {
    let mut h = harness();
    let generation = open(&mut h);
    answer_all(&mut h, generation);
    assert!(!h.render(120, 30).contains("(data: "), "5 minutes of data over 5m");
    let effects = update(&mut h.state, Action::Key(KeyAction::RangeLonger));
    let generation = fetches(&effects)[0].0;
    // Prometheus (or the scraper) has only the five minutes it has.
    answer_all(&mut h, generation);
    let screen = h.render(120, 30);
    assert!(screen.contains("last 15m (data: 4m55s)"), "{screen}");
}

#[test]
fn a_quantile_on_the_top_bucket_is_marked_as_bounded_by_it() {
    let mut h = harness();
    let generation = open(&mut h);
    let end = h.state.now().unwrap();
    // Confidences mostly above 0.95, the highest finite bucket: the p90 is
    // the bound itself, and only known to be at least that.
    let line = |stat: &str, value: f64| Line {
        version: "2.0.5".into(),
        track: "stable".into(),
        stat: stat.into(),
        points: wave(end, value, 0.0, 20),
    };
    h.dispatch(panel_answer(
        generation,
        "confidence-spread",
        Ok(PanelData {
            lines: vec![line("p10", 0.61), line("p50", 0.92), line("p90", 0.95)],
            newest: Some(end),
            warning: None,
            top_bucket: Some(0.95),
        }),
    ));
    let screen = h.render(80, 24);
    let p90 = screen.lines().find(|l| l.contains("Confidence p90")).unwrap();
    assert!(p90.contains("≥0.950"), "{screen}");
    let p50 = screen.lines().find(|l| l.contains("Confidence p50")).unwrap();
    assert!(!p50.contains('≥'), "{p50}");
    assert!(
        screen.contains("≥ top bucket"),
        "the table says what ≥ means:\n{screen}"
    );
}

#[test]
fn which_side_of_a_threshold_is_bad_comes_from_the_panel_not_its_metric_name() {
    use modeldeck::config::metrics::Breach;
    let mut h = Harness::new();
    let mut settings = h.config.settings.metrics.clone();
    settings.source = MetricsSource::Scrape;
    for panel in &mut settings.panels {
        if panel.name == "accuracy" {
            // A quality gauge whose metric does not say "accuracy".
            panel.metric = "model_quality".into();
            assert_eq!(panel.breach, Breach::Below, "the shipped accuracy panel breaches below");
        }
        if panel.name == "confidence" {
            // A line on a panel that does not say its side: above is bad.
            panel.threshold = Some(0.5);
        }
    }
    h.state.metrics = MetricsState::new(&settings, "3 scraped URLs".into(), None);
    let generation = open(&mut h);
    answer_all(&mut h, generation);
    let screen = h.render(200, 60);
    let row = |title: &str| {
        screen
            .lines()
            .find(|l| l.contains(title))
            .unwrap_or_else(|| panic!("no {title} row:\n{screen}"))
            .to_owned()
    };
    let marks = |title: &str| row(title).matches('⚠').count();
    // Only the shadow's 0.738 is below 0.85: marked, whatever the
    // metric's name; the healthy 0.904 and 0.934 are not.
    assert_eq!(marks("Accuracy"), 1, "{}", row("Accuracy"));
    assert!(!row("Accuracy").contains("0.904 ⚠"), "{}", row("Accuracy"));
    // Every version's confidence is above 0.5: all three marked.
    assert_eq!(marks("Mean confidence"), 3, "{}", row("Mean confidence"));
    // The latency's p50 stays under its 0.5 s line: not marked.
    assert!(!row("Latency p50").contains('⚠'), "{}", row("Latency p50"));
}
