//! Performs metrics effects: one task per panel, so an answer comes back
//! as soon as its panel is done and a hanging query holds up only itself
//! (the backend bounds how many run at once and times each out).

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, MetricsAction, MetricsEffect};
use super::metrics_watch::WatchSetup;
use crate::backends::metrics::MetricsBackend;

pub struct MetricsRunner {
    backend: Option<Arc<MetricsBackend>>,
}

impl MetricsRunner {
    /// Starts the scrape loop when the source is a direct scrape, and the
    /// alerts and guard watch when set up; must be called on the runtime.
    pub(super) fn start(
        backend: Option<Arc<MetricsBackend>>,
        watch: Option<WatchSetup>,
        answers: &UnboundedSender<Action>,
        actions: super::in_flight::InFlight,
    ) -> MetricsRunner {
        if let Some(scraper) = backend.as_ref().and_then(|b| b.scraper()) {
            tokio::spawn(scraper.run());
        }
        if let (Some(backend), Some(watch)) = (&backend, watch) {
            tokio::spawn(super::metrics_watch::run(
                backend.clone(),
                watch,
                answers.clone(),
                actions,
            ));
        }
        MetricsRunner { backend }
    }

    pub fn perform(&self, effect: MetricsEffect, answers: &UnboundedSender<Action>) {
        let MetricsEffect::Fetch {
            generation,
            panels,
            scope,
            end,
            range,
        } = effect;
        for name in panels {
            let backend = self.backend.clone();
            let answers = answers.clone();
            let scope = scope.clone();
            tokio::spawn(async move {
                let result = match &backend {
                    None => Err("no metrics source is set up".to_owned()),
                    Some(backend) => match backend.settings().panels.iter().find(|p| p.name == name) {
                        Some(panel) => backend
                            .fetch(panel, &scope, end, range)
                            .await
                            .map_err(|e| e.to_string()),
                        None => Err(format!("no panel named {name:?}")),
                    },
                };
                let _ = answers.send(Action::Metrics(MetricsAction::Panel {
                    generation,
                    name,
                    result,
                }));
            });
        }
    }
}
