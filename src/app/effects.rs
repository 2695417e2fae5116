//! Performs effects on tokio tasks. Each answer goes back to the event loop
//! as an action on a channel; nothing here touches the state.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::action::KubeEffect;
use super::in_flight::InFlight;
use super::kube_runner::{KubeRunner, SharedKubeRunner};
use super::metrics_runner::MetricsRunner;
use super::metrics_watch::WatchSetup;
use super::predict_runner::PredictRunner;
use super::{Action, Effect};
use crate::backends::metrics::MetricsBackend;
use crate::backends::{audit_log, local};
use crate::ops::op::OpsConfig;

#[derive(Clone)]
pub struct EffectRunner {
    answers: UnboundedSender<Action>,
    kube: SharedKubeRunner,
    metrics: Arc<MetricsRunner>,
    predict: Arc<PredictRunner>,
    actions: InFlight,
}

impl EffectRunner {
    /// Must be called on the runtime (the scrape loop starts here).
    pub fn new(
        answers: UnboundedSender<Action>,
        kube: OpsConfig,
        metrics: Option<Arc<MetricsBackend>>,
        watch: Option<WatchSetup>,
    ) -> EffectRunner {
        let actions = InFlight::default();
        EffectRunner {
            metrics: Arc::new(MetricsRunner::start(metrics, watch, &answers, actions.clone())),
            answers,
            kube: Arc::new(KubeRunner::new(kube)),
            predict: Arc::default(),
            actions,
        }
    }

    /// The plans of the confirmed (or declined) actions still running.
    pub fn actions_running(&self) -> Vec<String> {
        self.actions.running()
    }

    /// Waits until every confirmed or declined action has finished and
    /// written its audit line, for at most `within`; returns the plans of
    /// those still running then. The console calls it on the way out.
    pub async fn finish_actions(&self, within: Duration) -> Vec<String> {
        let _ = tokio::time::timeout(within, self.actions.settled()).await;
        self.actions.running()
    }

    pub fn spawn(&self, effect: Effect) {
        let answers = self.answers.clone();
        let effect = match effect {
            Effect::Kube(effect) => {
                let kube = self.kube.clone();
                let running = match &effect {
                    KubeEffect::Execute(prepared) | KubeEffect::Decline(prepared) => {
                        Some(self.actions.start(prepared.plan.summary.to_string()))
                    }
                    // A plan refused (read-only, denied) writes an audit line.
                    KubeEffect::Prepare(request) => Some(self.actions.start(format!(
                        "planning an action on {}/{}",
                        request.namespace, request.deployment
                    ))),
                    _ => None,
                };
                tokio::spawn(async move {
                    kube.perform(effect, answers).await;
                    drop(running);
                });
                return;
            }
            Effect::Metrics(effect) => return self.metrics.perform(effect, &answers),
            Effect::Predict(effect) => return self.predict.perform(effect, &answers),
            other => other,
        };
        tokio::spawn(async move {
            // The loop may have ended (quitting): then nobody needs the answer.
            if let Some(answer) = perform(effect).await {
                let _ = answers.send(answer);
            }
        });
    }
}

/// Does the work of one file effect and returns the answer; cluster
/// effects need the runner's connection and are not done here.
pub async fn perform(effect: Effect) -> Option<Action> {
    match effect {
        Effect::LoadRegistry { generation, location } => {
            let result = blocking(move || local::load(&location).map_err(|e| e.to_string())).await;
            Some(Action::RegistryLoaded { generation, result })
        }
        Effect::LoadAudit { generation, path } => {
            let result = blocking(move || audit_log::read(&path).map_err(|e| e.to_string())).await;
            Some(Action::AuditLoaded { generation, result })
        }
        Effect::Kube(_) | Effect::Metrics(_) | Effect::Predict(_) => None,
    }
}

/// File reads are blocking calls: keep them off the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(format!("background task failed: {e}")))
}
