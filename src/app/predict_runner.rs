//! Performs the Predict view's effects: ONNX Runtime found once, sessions
//! made once per model file and reused, and every run on a blocking
//! thread (inference is CPU work; the console's loop never waits on it).

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::Action;
use super::action::{PredictAction, PredictEffect};
use crate::backends::onnx;
use crate::backends::predict_input;
use crate::backends::prediction::{self, Runnable, Sessions};
use crate::config::settings::PredictSettings;
use crate::domain::model::ModelChoice;
use crate::domain::prediction_run::{InputSource, RunReport};
use crate::text::Clean;

/// How often a run reports its rows: often enough for a gauge, rarely
/// enough not to flood the loop.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct PredictRunner {
    sessions: Arc<Sessions>,
    /// The stop flag of each run in flight, by generation.
    stops: Arc<Mutex<BTreeMap<u64, Arc<AtomicBool>>>>,
}

impl PredictRunner {
    pub fn perform(&self, effect: PredictEffect, answers: &UnboundedSender<Action>) {
        let answers = answers.clone();
        match effect {
            PredictEffect::Discover { samples } => {
                tokio::task::spawn_blocking(move || {
                    let env = |name: &str| std::env::var(name).ok();
                    let runtime = onnx::runtime(&env)
                        .map(|path| path.display().to_string())
                        .map_err(|e| e.to_string());
                    let samples = predict_input::sample_names(&samples);
                    let _ = answers.send(Action::Predict(PredictAction::Ready { runtime, samples }));
                });
            }
            PredictEffect::Signatures { files, threads } => {
                let sessions = self.sessions.clone();
                tokio::task::spawn_blocking(move || {
                    for file in files {
                        let result = sessions
                            .get(&file, threads)
                            .map(|m| m.signature.clone())
                            .map_err(|e| e.to_string());
                        let _ = answers.send(Action::Predict(PredictAction::Signature { file, result }));
                    }
                });
            }
            PredictEffect::Run {
                generation,
                models,
                input,
                settings,
            } => {
                let stop = Arc::new(AtomicBool::new(false));
                if let Ok(mut stops) = self.stops.lock() {
                    stops.insert(generation, stop.clone());
                }
                let (sessions, stops) = (self.sessions.clone(), self.stops.clone());
                tokio::task::spawn_blocking(move || {
                    let job = Job {
                        generation,
                        answers: &answers,
                        stop: &stop,
                    };
                    let result = job.run(&sessions, &models, &input, &settings);
                    if let Ok(mut stops) = stops.lock() {
                        stops.remove(&generation);
                    }
                    let _ = answers.send(Action::Predict(PredictAction::Finished { generation, result }));
                });
            }
            PredictEffect::Stop { generation } => {
                if let Some(stop) = self.stops.lock().ok().and_then(|s| s.get(&generation).cloned()) {
                    stop.store(true, Ordering::SeqCst);
                }
            }
        }
    }
}

struct Job<'a> {
    generation: u64,
    answers: &'a UnboundedSender<Action>,
    stop: &'a AtomicBool,
}

impl Job<'_> {
    fn run(
        &self,
        sessions: &Sessions,
        models: &[ModelChoice],
        input: &InputSource,
        settings: &PredictSettings,
    ) -> Result<RunReport, String> {
        let runnable: Vec<Runnable> = models
            .iter()
            .map(|m| {
                let model = sessions
                    .get(&m.file, settings.threads)
                    .map_err(|e| format!("{}: {e}", m.label))?;
                Ok(Runnable {
                    label: m.label.clone(),
                    model,
                })
            })
            .collect::<Result<_, String>>()?;
        prediction::check_comparable(&runnable).map_err(|e| e.to_string())?;
        let first = runnable.first().ok_or("no model to run")?;
        let mut rows =
            predict_input::open(input, &first.model.signature, &settings.samples).map_err(|e| e.to_string())?;
        let total = rows.total_rows();
        let labels = models.iter().map(|m| Clean::new(&m.label)).collect();
        let mut report = RunReport::new(labels, input.words(), Default::default());
        let mut said = Instant::now();
        let summary = prediction::run(
            &runnable,
            rows.as_mut(),
            settings.batch_size,
            settings.threshold,
            |batch, answers, done| {
                report.keep(batch, answers);
                if said.elapsed() >= PROGRESS_EVERY {
                    said = Instant::now();
                    let _ = self.answers.send(Action::Predict(PredictAction::Progress {
                        generation: self.generation,
                        rows: done.rows,
                        total,
                    }));
                }
                if self.stop.load(Ordering::SeqCst) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .map_err(|e| e.to_string())?;
        report.summary = summary;
        Ok(report)
    }
}
