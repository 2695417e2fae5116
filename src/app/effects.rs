//! Performs effects on tokio tasks. Each answer goes back to the event loop
//! as an action on a channel; nothing here touches the state.

use tokio::sync::mpsc::UnboundedSender;

use super::{Action, Effect};
use crate::backends::{audit_log, local};

#[derive(Clone)]
pub struct EffectRunner {
    answers: UnboundedSender<Action>,
}

impl EffectRunner {
    pub fn new(answers: UnboundedSender<Action>) -> EffectRunner {
        EffectRunner { answers }
    }

    pub fn spawn(&self, effect: Effect) {
        let answers = self.answers.clone();
        tokio::spawn(async move {
            // The loop may have ended (quitting): then nobody needs the answer.
            let _ = answers.send(perform(effect).await);
        });
    }
}

/// Does the work of one effect and returns the answer.
pub async fn perform(effect: Effect) -> Action {
    match effect {
        Effect::LoadRegistry { generation, location } => {
            let result = blocking(move || local::load(&location).map_err(|e| e.to_string())).await;
            Action::RegistryLoaded { generation, result }
        }
        Effect::LoadAudit { generation, path } => {
            let result = blocking(move || audit_log::read(&path)).await;
            Action::AuditLoaded { generation, result }
        }
    }
}

/// File reads are blocking calls: keep them off the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(format!("background task failed: {e}")))
}
