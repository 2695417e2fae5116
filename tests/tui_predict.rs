//! The Predict view as an operator reads it at 80×24: the signature before
//! anything runs, A and B marked by keys, the run's report (the same words
//! the CLI prints), runs kept and paged, failures said, and a console
//! without ONNX Runtime that says how to get it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod common;
mod predict_common;

use common::Harness;
use modeldeck::app::Action;
use modeldeck::app::action::PredictAction;

fn predict_view() -> Option<Harness> {
    if !predict_common::runtime_or_skip() {
        return None;
    }
    let mut h = Harness::with_predictions();
    h.press("4");
    Some(h)
}

/// The latency figures change run to run; everything else is fixed.
fn steady(screen: &str) -> String {
    let mut out = String::new();
    for line in screen.lines() {
        let line = match line
            .find(": 32 rows, 1 call,")
            .or_else(|| line.find(": 1 row, 1 call,"))
        {
            Some(at) => format!("{}: <latency>", &line[..at]),
            None => line.to_owned(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn the_signature_and_the_keys_are_on_screen_before_anything_runs() {
    let Some(mut h) = predict_view() else { return };
    let screen = h.render(80, 24);
    for want in [
        "● onnx",
        "Signature · malaria_lstm@2.1.1",
        "in  input float32 [batch_size, 8, 4]",
        "out output float32 [batch_size, 1]",
        "IR 8  opset ai.onnx 14",
        "file says version 2.1.1",
        "input sample batch_32   nothing marked: runs the selected version",
        "space marks a version A, then B; i picks the input; r runs them.",
        "space mark A/B  i input  r run",
    ] {
        assert!(screen.contains(want), "{want:?} in\n{screen}");
    }
    insta::assert_snapshot!("predict_before_a_run_80x24", screen);
}

#[test]
fn a_and_b_run_side_by_side_and_the_report_is_the_clis() {
    let Some(mut h) = predict_view() else { return };
    // 2.0.5 is A (the stable version), 2.1.1 is B.
    h.press("j j space k k space");
    let screen = h.render(80, 24);
    assert!(
        screen.contains("A malaria_lstm@2.0.5   B malaria_lstm@2.1.1"),
        "{screen}"
    );
    assert!(screen.contains("│▶ B malaria_lstm 2.1.1"), "{screen}");
    assert!(screen.contains("│  A malaria_lstm 2.0.5"), "{screen}");
    h.press("r");
    let screen = h.render(80, 24);
    // The CLI's words for the same run, line for line.
    let cli = predict_common::modeldeck(&[&["predict"][..], &predict_common::STABLE_VS_211].concat());
    let cli = predict_common::stdout(&cli);
    let agreement = cli.lines().find(|l| l.starts_with("agreement at 0.5:")).unwrap();
    assert!(screen.contains(agreement), "{agreement:?} in\n{screen}");
    let worst = cli.lines().find(|l| l.starts_with("rows that differ most:")).unwrap();
    let first_worst = worst.split(", ").next().unwrap();
    assert!(screen.contains(first_worst), "{first_worst:?} in\n{screen}");
    assert!(
        screen.contains("Run 1 of 1 · malaria_lstm@2.0.5 vs malaria_lstm@2.1.1 · sample batch_32"),
        "{screen}"
    );
    assert!(
        screen.contains("ROW     A              B              |DIFF|"),
        "{screen}"
    );
    assert!(
        screen.contains("from row 1 of 32 · tab here, then j/k scroll"),
        "{screen}"
    );
    assert!(
        screen.contains("ran malaria_lstm@2.0.5 vs malaria_lstm@2.1.1 on sample batch_32: 32 rows"),
        "{screen}"
    );
    insta::assert_snapshot!("predict_a_vs_b_80x24", steady(&screen));

    // The rows scroll once the results have the focus, and say so.
    h.press("tab j j");
    let screen = h.render(80, 24);
    assert!(screen.contains("from row 3 of 32 · j/k scroll, esc back"), "{screen}");
    let first_row = screen.lines().find(|l| l.contains("│3       ")).unwrap();
    assert!(first_row.contains("0.0581"), "{first_row}");
}

#[test]
fn runs_are_kept_and_paged_and_the_input_steps_through_the_samples() {
    let Some(mut h) = predict_view() else { return };
    h.press("r");
    h.press("i");
    let screen = h.render(80, 24);
    assert!(screen.contains("input sample single_negative"), "{screen}");
    h.press("r i");
    let screen = h.render(80, 24);
    assert!(screen.contains("input sample single_positive"), "{screen}");
    assert!(
        screen.contains("Run 2 of 2 · malaria_lstm@2.1.1 · sample single_negative"),
        "{screen}"
    );
    assert!(
        screen.contains("[/] runs"),
        "the footer names the paging keys: {screen}"
    );
    h.press("[");
    let screen = h.render(80, 24);
    assert!(
        screen.contains("Run 1 of 2 · malaria_lstm@2.1.1 · sample batch_32"),
        "{screen}"
    );
    assert!(screen.contains("A malaria_lstm@2.1.1: 32 rows, 1 call,"), "{screen}");
    // Random rows, after the samples.
    h.press("i");
    let screen = h.render(80, 24);
    assert!(screen.contains("input random draws (seed 0)"), "{screen}");
}

#[test]
fn a_file_that_does_not_fit_the_signature_fails_where_the_operator_looks() {
    let Some(mut h) = predict_view() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let row: Vec<String> = (0..32).map(|i| format!("0.{i}")).collect();
    let mut worse = row.clone();
    worse[4] = "zz".into();
    std::fs::write(&bad, format!("{}\n{}\n", row.join(","), worse.join(","))).unwrap();
    h.press(":");
    h.type_text(&format!("input {}", bad.display()));
    h.press("enter");
    let screen = h.render(80, 24);
    assert!(screen.contains(&format!("input {}", bad.display())), "{screen}");
    h.press("r");
    let screen = h.render(120, 30);
    assert!(screen.contains("FAILED"), "{screen}");
    assert!(
        screen.contains("row 2 (line 2), column 5: expected a number, found \"zz\""),
        "{screen}"
    );
    // The message is in the log too, whole.
    let logged = h.state.messages.iter().any(|m| m.text.contains("column 5"));
    assert!(logged);
}

#[test]
fn without_onnx_runtime_the_view_says_how_to_get_it_and_the_rest_works() {
    // No runtime needed: the runner's answer is given by hand.
    let mut h = Harness::new();
    h.dispatch(Action::Predict(PredictAction::Ready {
        runtime: Err(
            "ONNX Runtime not found: set ORT_DYLIB_PATH to libonnxruntime.so, or install the \
                      Python package (python3 -m pip install onnxruntime==1.31.1)"
                .into(),
        ),
        samples: vec!["batch_32".into()],
    }));
    h.press("4");
    let screen = h.render(80, 24);
    for want in [
        "✖ onnx",
        "ONNX Runtime is not loaded: nothing can run here.",
        "python3 -m pip install onnxruntime==1.31.1",
        "needs ONNX Runtime (see below)",
    ] {
        assert!(screen.contains(want), "{want:?} in\n{screen}");
    }
    h.press("r");
    let screen = h.render(80, 24);
    assert!(
        screen.lines().nth(22).unwrap().contains("ONNX Runtime not found"),
        "{screen}"
    );
    // Models still lists the registry.
    h.press("1");
    assert!(h.render(80, 24).contains("malaria_lstm"));
}

/// The runner's answer that the runtime is there, with one sample.
fn ready_by_hand() -> Action {
    Action::Predict(PredictAction::Ready {
        runtime: Ok("/opt/onnxruntime/libonnxruntime.so".into()),
        samples: vec!["batch_32".into()],
    })
}

/// The console with the runtime said to be there, and no runner: a test
/// answers for it.
fn answered_by_hand() -> Harness {
    let mut h = Harness::new();
    h.dispatch(ready_by_hand());
    h.press("4");
    h
}

#[test]
fn a_run_in_flight_shows_a_gauge_and_r_stops_it_after_its_batch() {
    use modeldeck::domain::prediction::Summary;
    use modeldeck::domain::prediction_run::RunReport;
    let mut h = answered_by_hand();
    h.press("r");
    let generation = h.state.predict.running.as_ref().unwrap().generation;
    let screen = h.render(80, 24);
    assert!(
        screen.contains("Running malaria_lstm@2.1.1 · sample batch_32"),
        "{screen}"
    );
    assert!(screen.contains("0 rows"), "{screen}");
    assert!(screen.contains("r stop"), "the footer says r stops now: {screen}");
    h.dispatch(Action::Predict(PredictAction::Progress {
        generation,
        rows: 16,
        total: Some(32),
    }));
    assert!(h.render(80, 24).contains("16/32 rows"));
    h.press("r");
    let screen = h.render(80, 24);
    assert!(screen.contains("stopping after the batch in flight"), "{screen}");
    // An answer for an older run changes nothing.
    h.dispatch(Action::Predict(PredictAction::Finished {
        generation: generation - 1,
        result: Err("old".into()),
    }));
    assert!(h.state.predict.running.is_some());
    let summary = Summary {
        rows: 16,
        stopped: true,
        ..Summary::default()
    };
    let report = RunReport::new(
        vec![modeldeck::text::Clean::new("malaria_lstm@2.1.1")],
        "sample batch_32".into(),
        summary,
    );
    h.dispatch(Action::Predict(PredictAction::Finished {
        generation,
        result: Ok(report),
    }));
    let screen = h.render(80, 24);
    assert!(screen.contains("stopped after 16 rows"), "{screen}");
    assert!(screen.contains("Run 1 of 1"), "{screen}");
}

#[test]
fn a_third_mark_replaces_b_and_a_second_press_unmarks() {
    let mut h = answered_by_hand();
    h.press("space j space j space");
    let marked: Vec<String> = h.state.predict.marked.iter().map(|m| m.version.to_string()).collect();
    assert_eq!(marked, ["2.1.1", "2.0.5"], "A kept, B replaced");
    let screen = h.render(80, 24);
    assert!(
        screen.contains("A malaria_lstm@2.1.1   B malaria_lstm@2.0.5"),
        "{screen}"
    );
    h.press("space");
    assert_eq!(h.state.predict.marked.len(), 1);
    let screen = h.render(80, 24);
    assert!(screen.contains("│  A malaria_lstm 2.1.1"), "{screen}");
    assert!(screen.contains("│▶   malaria_lstm 2.0.5"), "{screen}");
}

#[test]
fn a_refresh_keeps_the_input_picked() {
    let mut h = answered_by_hand();
    h.press("i");
    assert!(h.render(80, 24).contains("input random draws (seed 0)"));
    h.dispatch(ready_by_hand());
    assert!(h.render(80, 24).contains("input random draws (seed 0)"));
}
