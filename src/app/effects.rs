//! Performs effects on tokio tasks. Each answer goes back to the event loop
//! as an action on a channel; nothing here touches the state.

use tokio::sync::mpsc::UnboundedSender;

use std::sync::Arc;

use super::kube_runner::{KubeConfig, KubeRunner, SharedKubeRunner};
use super::metrics_runner::MetricsRunner;
use super::metrics_watch::WatchSetup;
use super::{Action, Effect};
use crate::backends::metrics::MetricsBackend;
use crate::backends::{audit_log, local};

#[derive(Clone)]
pub struct EffectRunner {
    answers: UnboundedSender<Action>,
    kube: SharedKubeRunner,
    metrics: Arc<MetricsRunner>,
}

impl EffectRunner {
    /// Must be called on the runtime (the scrape loop starts here).
    pub fn new(
        answers: UnboundedSender<Action>,
        kube: KubeConfig,
        metrics: Option<Arc<MetricsBackend>>,
        watch: Option<WatchSetup>,
    ) -> EffectRunner {
        EffectRunner {
            metrics: Arc::new(MetricsRunner::start(metrics, watch, &answers)),
            answers,
            kube: Arc::new(KubeRunner::new(kube)),
        }
    }

    pub fn spawn(&self, effect: Effect) {
        let answers = self.answers.clone();
        let effect = match effect {
            Effect::Kube(effect) => {
                let kube = self.kube.clone();
                tokio::spawn(async move { kube.perform(effect, answers).await });
                return;
            }
            Effect::Metrics(effect) => return self.metrics.perform(effect, &answers),
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
            let result = blocking(move || audit_log::read(&path)).await;
            Some(Action::AuditLoaded { generation, result })
        }
        Effect::Kube(_) | Effect::Metrics(_) => None,
    }
}

/// File reads are blocking calls: keep them off the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(format!("background task failed: {e}")))
}
