//! What the runner reads from the cluster for the Rollouts view: the
//! connection, and the selected rollout's detail.

use crate::domain::operation::OpKind;
use crate::domain::rollout::{PodSummary, Revision};
use crate::text::Clean;

/// The cluster the console is attached to.
#[derive(Debug, Clone, PartialEq)]
pub struct KubeInfo {
    pub context: Clean,
    pub namespace: Clean,
    pub server: Clean,
    pub user: Clean,
    /// Why writes are refused here, if they are.
    pub readonly: Option<String>,
    /// Listing every namespace (`:ns all`).
    pub all_namespaces: bool,
    /// The kubeconfig's contexts, for `:ctx`.
    pub contexts: Vec<Clean>,
    /// The namespaces this user may list (`None`: it may not), for `:ns`.
    pub namespaces: Option<Vec<Clean>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RolloutDetail {
    pub namespace: String,
    pub name: String,
    pub revisions: Vec<Revision>,
    pub pods: Vec<PodSummary>,
    /// Actions the cluster says this user may not take, and why, asked
    /// before any key is pressed.
    pub denied: Vec<(OpKind, String)>,
    /// Blue-green Services for this rollout's app, and the version each
    /// points to.
    pub services: Vec<crate::ops::bluegreen::Side>,
    /// The cluster's clock minus the console's, in seconds, at the read:
    /// ages are the cluster's (as kubectl's AGE), not the local clock's.
    pub clock_skew: Option<i64>,
}

impl RolloutDetail {
    /// The Service `b` switches back: one pointing at `version` with a
    /// recorded previous version, else any with one.
    pub fn switch_back_target(&self, version: Option<&str>) -> Option<&str> {
        let with_previous = || self.services.iter().filter(|s| s.previous.is_some());
        with_previous()
            .find(|s| s.runs.name.as_deref() == version)
            .or_else(|| with_previous().next())
            .map(|s| s.service.as_str())
    }
}
