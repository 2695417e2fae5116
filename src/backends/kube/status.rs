//! Rollout status computed exactly as `kubectl rollout status` computes it
//! (kubectl's DeploymentStatusViewer), so the console and kubectl never
//! disagree about whether a rollout is done.

use k8s_openapi::api::apps::v1::Deployment;

use crate::domain::rollout::{RolloutPhase, RolloutStatus};

/// The reason the deployment controller gives when progress stalls.
pub const TIMED_OUT_REASON: &str = "ProgressDeadlineExceeded";

pub fn rollout_status(deployment: &Deployment) -> RolloutStatus {
    let name = deployment.metadata.name.as_deref().unwrap_or_default();
    let generation = deployment.metadata.generation.unwrap_or(0);
    let status = deployment.status.clone().unwrap_or_default();
    let paused = deployment.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
    let waiting = |message: String| RolloutStatus {
        phase: if paused {
            RolloutPhase::Paused
        } else {
            RolloutPhase::Progressing
        },
        message,
        done: false,
    };
    if generation > status.observed_generation.unwrap_or(0) {
        return waiting("Waiting for deployment spec update to be observed...".into());
    }
    let progressing = status.conditions.iter().flatten().find(|c| c.type_ == "Progressing");
    if progressing.is_some_and(|c| c.reason.as_deref() == Some(TIMED_OUT_REASON)) {
        return RolloutStatus {
            phase: RolloutPhase::Degraded,
            message: format!("deployment \"{name}\" exceeded its progress deadline"),
            done: false,
        };
    }
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if let Some(want) = deployment.spec.as_ref().and_then(|s| s.replicas)
        && updated < want
    {
        return waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {want} new replicas have been updated..."
        ));
    }
    if replicas > updated {
        return waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
            replicas - updated
        ));
    }
    if available < updated {
        return waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available..."
        ));
    }
    RolloutStatus {
        phase: if paused {
            RolloutPhase::Paused
        } else {
            RolloutPhase::Healthy
        },
        message: format!("deployment \"{name}\" successfully rolled out"),
        done: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(v: serde_json::Value) -> Deployment {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn each_state_reads_as_kubectl_prints_it() {
        let base = |generation: i64, observed: i64, status: serde_json::Value| {
            let mut d = json!({"metadata": {"name": "web", "generation": generation}, "spec": {"replicas": 3, "selector": {}, "template": {}}, "status": status});
            d["status"]["observedGeneration"] = json!(observed);
            deployment(d)
        };
        let cases = [
            (
                base(2, 1, json!({})),
                "Waiting for deployment spec update to be observed...",
                RolloutPhase::Progressing,
            ),
            (
                base(1, 1, json!({"updatedReplicas": 1, "replicas": 3})),
                "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...",
                RolloutPhase::Progressing,
            ),
            (
                base(
                    1,
                    1,
                    json!({"updatedReplicas": 3, "replicas": 4, "availableReplicas": 3}),
                ),
                "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...",
                RolloutPhase::Progressing,
            ),
            (
                base(
                    1,
                    1,
                    json!({"updatedReplicas": 3, "replicas": 3, "availableReplicas": 2}),
                ),
                "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available...",
                RolloutPhase::Progressing,
            ),
            (
                base(
                    1,
                    1,
                    json!({"updatedReplicas": 3, "replicas": 3, "availableReplicas": 3}),
                ),
                "deployment \"web\" successfully rolled out",
                RolloutPhase::Healthy,
            ),
            (
                base(
                    1,
                    1,
                    json!({"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}),
                ),
                "deployment \"web\" exceeded its progress deadline",
                RolloutPhase::Degraded,
            ),
        ];
        for (d, message, phase) in cases {
            let status = rollout_status(&d);
            assert_eq!(status.message, message);
            assert_eq!(status.phase, phase, "{message}");
            assert_eq!(status.done, phase == RolloutPhase::Healthy);
        }
    }
}
