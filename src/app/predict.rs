//! The Predict view's state and update: registry versions to mark as A and
//! B, their signatures, the input, the run in flight and the runs of this
//! session. Runs happen on the runner's blocking threads; this only asks
//! for them and keeps their answers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::action::{Effect, PredictAction, PredictEffect};
use super::list_cursor::ListCursor;
use super::registry_rows::{VersionRow, version_rows};
use super::screen::Pane;
use super::shared::{Level, Shared};
use crate::config::settings::PredictSettings;
use crate::domain::RegistryLoad;
use crate::domain::model::ModelChoice;
use crate::domain::prediction_run::{InputSource, RunReport, vs_words};
use crate::domain::signature::Signature;
use crate::text::Clean;

/// Runs kept for paging back through (`[` / `]`).
pub const KEPT_RUNS: usize = 8;
/// Rows of the smoke-test input that needs no file.
pub const RANDOM_ROWS: usize = 32;

/// Whether ONNX Runtime could be loaded.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Runtime {
    #[default]
    Finding,
    Ready(Clean),
    /// Why not, and how to get it (the runtime's own words).
    Missing(Clean),
}

/// A version marked A or B, by model name and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub model: String,
    pub version: semver::Version,
}

/// A run asked for and not yet answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub generation: u64,
    pub labels: Vec<Clean>,
    pub input: String,
    pub rows: usize,
    pub total: Option<usize>,
    pub stopping: bool,
}

/// A run as it ended: its report, or why it failed.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEntry {
    Done(RunReport),
    Failed {
        labels: Vec<Clean>,
        input: String,
        why: Clean,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PredictState {
    pub settings: PredictSettings,
    pub runtime: Runtime,
    /// The named samples in the samples folder.
    pub samples: Vec<String>,
    /// Files named with `:input PATH`, newest last.
    pub files: Vec<PathBuf>,
    /// Index into [`PredictState::inputs`].
    pub input: usize,
    pub cursor: ListCursor,
    /// A first, then B.
    pub marked: Vec<Marked>,
    /// Each model file's signature (or why it could not be read).
    pub signatures: BTreeMap<PathBuf, Result<Signature, Clean>>,
    pub running: Option<Running>,
    /// Oldest first, at most [`KEPT_RUNS`].
    pub runs: Vec<RunEntry>,
    /// Index into `runs` of the run shown.
    pub shown: usize,
    pub focus: Pane,
    /// First row shown of the results table.
    pub scroll: usize,
    generation: u64,
}

impl PredictState {
    pub fn for_settings(settings: &PredictSettings) -> PredictState {
        PredictState {
            settings: settings.clone(),
            ..Default::default()
        }
    }

    pub fn rows(&self, load: Option<&RegistryLoad>) -> Vec<VersionRow> {
        version_rows(load, &self.cursor)
    }

    /// Every input to step through: the samples, random rows, the files.
    pub fn inputs(&self) -> Vec<InputSource> {
        let mut all: Vec<InputSource> = self.samples.iter().cloned().map(InputSource::Sample).collect();
        all.push(InputSource::Random {
            rows: RANDOM_ROWS,
            seed: 0,
        });
        all.extend(self.files.iter().cloned().map(InputSource::File));
        all
    }

    pub fn selected_input(&self) -> Option<InputSource> {
        let inputs = self.inputs();
        inputs.get(self.input.min(inputs.len().saturating_sub(1))).cloned()
    }

    /// "A" or "B" for a marked version.
    pub fn mark_of(&self, model: &str, version: &semver::Version) -> Option<char> {
        self.marked
            .iter()
            .position(|m| m.model == model && m.version == *version)
            .map(|i| if i == 0 { 'A' } else { 'B' })
    }

    /// The run on screen, if any.
    pub fn shown_run(&self) -> Option<&RunEntry> {
        self.runs.get(self.shown)
    }
}

/// At start: find the runtime and the samples.
pub fn init(state: &PredictState) -> Vec<Effect> {
    vec![Effect::Predict(PredictEffect::Discover {
        samples: state.settings.samples.clone(),
    })]
}

/// ctrl-r: look for the runtime and the samples again, and re-read the
/// signatures (a model file replaced on disk gets a new session).
pub fn refresh(state: &mut PredictState) -> Vec<Effect> {
    state.signatures.clear();
    init(state)
}

/// The signatures not yet read of the registry's files, once the runtime
/// is there to read them.
pub fn signatures_wanted(state: &PredictState, load: Option<&RegistryLoad>) -> Vec<Effect> {
    let (Runtime::Ready(_), Some(load)) = (&state.runtime, load) else {
        return Vec::new();
    };
    let files: Vec<PathBuf> = load
        .models
        .iter()
        .flat_map(|m| &m.versions)
        .filter(|v| v.file_present && !state.signatures.contains_key(&v.file))
        .map(|v| v.file.clone())
        .collect();
    if files.is_empty() {
        return Vec::new();
    }
    vec![Effect::Predict(PredictEffect::Signatures {
        files,
        threads: state.settings.threads,
    })]
}

pub fn receive(
    state: &mut PredictState,
    shared: &mut Shared,
    load: Option<&RegistryLoad>,
    answer: PredictAction,
) -> Vec<Effect> {
    match answer {
        PredictAction::Ready { runtime, samples } => {
            state.runtime = match runtime {
                Ok(library) => Runtime::Ready(Clean::new(&library)),
                Err(why) => Runtime::Missing(Clean::new(&why)),
            };
            state.samples = samples;
            // A refresh keeps the input picked, if it is still there.
            state.input = state.input.min(state.inputs().len().saturating_sub(1));
            return signatures_wanted(state, load);
        }
        PredictAction::Signature { file, result } => {
            state.signatures.insert(file, result.map_err(|e| Clean::new(&e)));
        }
        PredictAction::Progress {
            generation,
            rows,
            total,
        } => {
            if let Some(running) = state.running.as_mut().filter(|r| r.generation == generation) {
                running.rows = rows;
                running.total = total;
            }
        }
        PredictAction::Finished { generation, result } => {
            let Some(running) = state.running.take_if(|r| r.generation == generation) else {
                return Vec::new();
            };
            let entry = match result {
                Ok(report) => {
                    let stopped = if report.summary.stopped { " (stopped)" } else { "" };
                    shared.set_status(
                        Level::Info,
                        format!(
                            "ran {} on {}: {} rows{stopped}",
                            vs_words(&running.labels),
                            running.input,
                            report.summary.rows
                        ),
                    );
                    RunEntry::Done(report)
                }
                Err(why) => {
                    shared.note(Level::Error, format!("predict {}: {why}", vs_words(&running.labels)));
                    RunEntry::Failed {
                        labels: running.labels,
                        input: running.input,
                        why: Clean::new(&why),
                    }
                }
            };
            state.runs.push(entry);
            if state.runs.len() > KEPT_RUNS {
                state.runs.remove(0);
            }
            state.shown = state.runs.len() - 1;
            state.scroll = 0;
        }
    }
    Vec::new()
}

/// `space`: the selected version becomes A (or B when A is taken); marked
/// already, it is unmarked; with two marked, it replaces B.
pub fn mark(state: &mut PredictState, shared: &mut Shared, load: Option<&RegistryLoad>) {
    let rows = state.rows(load);
    let (Some(row), Some(load)) = (rows.get(state.cursor.selected), load) else {
        return;
    };
    let model = &load.models[row.model];
    let version = &model.versions[row.version];
    if let Err(why) = version.choice(&model.name) {
        shared.set_status(Level::Warn, why);
        return;
    }
    let this = Marked {
        model: model.name.clone(),
        version: version.version.clone(),
    };
    if let Some(at) = state.marked.iter().position(|m| *m == this) {
        state.marked.remove(at);
        return;
    }
    if state.marked.len() == 2 {
        state.marked.pop();
    }
    state.marked.push(this);
}

/// `i`: the next input.
pub fn next_input(state: &mut PredictState) {
    let n = state.inputs().len();
    state.input = (state.input + 1) % n.max(1);
}

/// `:input PATH`: a file to predict on, selected at once.
pub fn add_file(state: &mut PredictState, path: PathBuf) {
    if !state.files.contains(&path) {
        state.files.push(path.clone());
    }
    let inputs = state.inputs();
    state.input = inputs
        .iter()
        .position(|i| *i == InputSource::File(path.clone()))
        .unwrap_or(0);
}

/// `[` / `]`: an older or newer run.
pub fn page_runs(state: &mut PredictState, newer: bool) {
    let last = state.runs.len().saturating_sub(1);
    state.shown = if newer {
        (state.shown + 1).min(last)
    } else {
        state.shown.saturating_sub(1)
    };
    state.scroll = 0;
}

/// `r`: runs the marked versions (or the selected one) on the input; with
/// a run in flight, asks it to stop after its batch.
pub fn run(state: &mut PredictState, shared: &mut Shared, load: Option<&RegistryLoad>) -> Vec<Effect> {
    if let Some(running) = &mut state.running {
        running.stopping = true;
        shared.set_status(Level::Info, "stopping after the batch in flight");
        return vec![Effect::Predict(PredictEffect::Stop {
            generation: running.generation,
        })];
    }
    match &state.runtime {
        Runtime::Missing(why) => {
            shared.set_status(Level::Warn, why.as_str());
            return Vec::new();
        }
        Runtime::Finding => {
            shared.set_status(Level::Info, "still looking for ONNX Runtime; try again in a moment");
            return Vec::new();
        }
        Runtime::Ready(_) => {}
    }
    let Some(load) = load else {
        shared.set_status(Level::Warn, "the registry is not loaded yet");
        return Vec::new();
    };
    let models = match chosen(state, load) {
        Ok(models) => models,
        Err(why) => {
            shared.set_status(Level::Warn, why);
            return Vec::new();
        }
    };
    let Some(input) = state.selected_input() else {
        return Vec::new();
    };
    state.generation += 1;
    let labels: Vec<Clean> = models.iter().map(|m| Clean::new(&m.label)).collect();
    state.running = Some(Running {
        generation: state.generation,
        labels,
        input: input.words(),
        rows: 0,
        total: None,
        stopping: false,
    });
    vec![Effect::Predict(PredictEffect::Run {
        generation: state.generation,
        models,
        input,
        settings: state.settings.clone(),
    })]
}

/// The marked versions, A first; none marked, the selected one.
fn chosen(state: &PredictState, load: &RegistryLoad) -> Result<Vec<ModelChoice>, String> {
    let find = |m: &Marked| -> Result<ModelChoice, String> {
        let model = load.models.iter().find(|x| x.name == m.model);
        let version = model.and_then(|x| x.versions.iter().find(|v| v.version == m.version));
        match (model, version) {
            (Some(model), Some(version)) => version.choice(&model.name),
            _ => Err(format!("{}@{} is no longer in the registry", m.model, m.version)),
        }
    };
    if !state.marked.is_empty() {
        return state.marked.iter().map(find).collect();
    }
    let rows = state.rows(Some(load));
    let row = rows
        .get(state.cursor.selected)
        .ok_or("no version to run: the registry lists none")?;
    let model = &load.models[row.model];
    Ok(vec![model.versions[row.version].choice(&model.name)?])
}

/// j/k in the results pane: rows of the shown run.
pub fn scroll_results(state: &mut PredictState, delta: isize) {
    let rows = match state.shown_run() {
        Some(RunEntry::Done(report)) => report.rows.len(),
        _ => 0,
    };
    let limit = rows.saturating_sub(1) as isize;
    state.scroll = (state.scroll as isize).saturating_add(delta).clamp(0, limit.max(0)) as usize;
}
