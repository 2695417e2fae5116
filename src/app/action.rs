//! Everything that can change the state: operator intents (from keys) and
//! answers from the world (from effects, ticks, the terminal).

use super::KeyAction;
use super::cluster_reads::{KubeInfo, RolloutDetail};
use super::input::Edit;
use crate::backends::audit_log::AuditRead;
use crate::domain::RegistryLoad;
use crate::domain::operation::OpRequest;
use crate::domain::rollout::ClusterState;
use crate::ops::{Prepared, Ready};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A keymap action.
    Key(KeyAction),
    /// An edit of the command or filter line.
    Edit(Edit),
    /// Enter in command or filter mode.
    Submit,
    /// Esc in command or filter mode.
    Cancel,
    /// Up/down in command mode: walk the commands run before.
    HistoryBack,
    HistoryForward,
    /// Tab in command mode: complete the command name.
    Complete,
    /// The clock moved (local wall-clock time, with its zone).
    Tick(jiff::Zoned),
    Resize(u16, u16),
    /// What the frame just drawn measured of its scrollable panes.
    Measured(super::screen::Measure),
    RegistryLoaded {
        generation: u64,
        result: Result<RegistryLoad, String>,
    },
    AuditLoaded {
        generation: u64,
        result: Result<AuditRead, String>,
    },
    Kube(KubeAction),
    Metrics(MetricsAction),
    Predict(PredictAction),
    /// y / enter in a confirmation dialog.
    Confirm,
    /// n / esc in a confirmation dialog.
    Decline,
}

/// Answers from the cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum KubeAction {
    Connected {
        generation: u64,
        result: Result<KubeInfo, String>,
    },
    /// What the watch of the connection of `generation` sees now, or its
    /// error (data kept, marked stale).
    Snapshot {
        generation: u64,
        result: Result<ClusterState, String>,
    },
    Detail {
        generation: u64,
        result: Result<RolloutDetail, String>,
    },
    /// A plan to confirm, a reason nothing needs doing, or a refusal.
    Prepared(Result<Ready, String>),
    /// How an executed (or declined) action ended.
    Finished(Result<String, String>),
}

/// Answers from the metrics source.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsAction {
    /// One panel's lines, or why there are none.
    Panel {
        generation: u64,
        name: String,
        result: Result<crate::backends::metrics::PanelData, String>,
    },
    /// Active alerts, or why they could not be read.
    Alerts {
        result: Result<Vec<crate::backends::prometheus::ActiveAlert>, String>,
        at: f64,
    },
    /// Every guard's state after a check, and what they did in it.
    Guards {
        reports: Vec<crate::domain::guard::GuardReport>,
        events: Vec<crate::domain::guard::GuardEvent>,
    },
}

/// Answers from the predictions runner.
#[derive(Debug, Clone, PartialEq)]
pub enum PredictAction {
    /// Where ONNX Runtime was found (or how to get it), and the named
    /// samples.
    Ready {
        runtime: Result<String, String>,
        samples: Vec<String>,
    },
    Signature {
        file: std::path::PathBuf,
        result: Result<crate::domain::signature::Signature, String>,
    },
    /// Rows done so far of the run of `generation`.
    Progress {
        generation: u64,
        rows: usize,
        total: Option<usize>,
    },
    Finished {
        generation: u64,
        result: Result<crate::domain::prediction_run::RunReport, String>,
    },
}

/// Predictions work: the runner holds the sessions, on blocking threads.
#[derive(Debug, Clone, PartialEq)]
pub enum PredictEffect {
    Discover {
        samples: std::path::PathBuf,
    },
    Signatures {
        files: Vec<std::path::PathBuf>,
        threads: usize,
    },
    Run {
        generation: u64,
        models: Vec<crate::domain::model::ModelChoice>,
        input: crate::domain::prediction_run::InputSource,
        settings: crate::config::settings::PredictSettings,
    },
    /// Stop the run of `generation` after its batch in flight.
    Stop {
        generation: u64,
    },
}

/// Metrics work: the runner holds the source.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsEffect {
    /// Each named panel over `range` seconds ending at `end` (Unix seconds).
    Fetch {
        generation: u64,
        panels: Vec<String>,
        scope: crate::backends::panels::Scope,
        end: f64,
        range: f64,
    },
}

/// Cluster work: the runner holds the connection and runs `ops`.
#[derive(Debug, Clone, PartialEq)]
pub enum KubeEffect {
    Connect {
        generation: u64,
        context: Option<String>,
        namespace: Option<String>,
    },
    LoadDetail {
        generation: u64,
        namespace: String,
        deployment: String,
        /// The rollout whose traffic the deployment's traffic keys move
        /// (itself, or the one it is the canary or shadow of).
        traffic_owner: String,
    },
    Prepare(OpRequest),
    Execute(Prepared),
    Decline(Prepared),
}

/// Work `update` asks for; the effects runner does it and answers with an
/// `Action` carrying the same generation.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Kube(KubeEffect),
    Metrics(MetricsEffect),
    Predict(PredictEffect),
    LoadRegistry {
        generation: u64,
        location: std::path::PathBuf,
    },
    LoadAudit {
        generation: u64,
        path: std::path::PathBuf,
    },
}
