//! Replica ratio: stable and canary Deployments behind one Service, so the
//! canary's share is its share of the pods. Only some percents are
//! reachable (1 of 4 replicas is 25%); the plan says which one is, next to
//! the one asked for. The total replica count is kept.

use serde_json::{Value, json};

use super::{Router, SplitError, TrafficSplit, percent};
use crate::backends::kube::objects::{DEPLOYMENT, Kind};
use crate::config::settings::RolloutSettings;

pub struct Replicas {
    stable: String,
    canary: String,
}

impl Replicas {
    pub fn new(settings: &RolloutSettings) -> Replicas {
        Replicas {
            stable: settings.stable.clone(),
            canary: settings.canary.clone(),
        }
    }

    fn counts(&self, objects: &[Value]) -> Result<(u64, u64), SplitError> {
        let replicas = |i: usize, name: &str| {
            objects
                .get(i)
                .and_then(|d| d["spec"]["replicas"].as_u64())
                .ok_or_else(|| SplitError::shape("deployment", name, "has no spec.replicas"))
        };
        Ok((replicas(0, &self.stable)?, replicas(1, &self.canary)?))
    }

    /// (stable, canary) replicas for `percent`, keeping the total; a
    /// canary asked for is never rounded away, nor the stable side unless
    /// 100% is asked.
    fn target(&self, objects: &[Value], percent: u32) -> Result<(u64, u64, u64), SplitError> {
        let (stable, canary) = self.counts(objects)?;
        let total = stable + canary;
        if total == 0 {
            return Err(SplitError::NoReplicas {
                stable: self.stable.clone(),
                canary: self.canary.clone(),
            });
        }
        let p = u64::from(percent.min(100));
        let mut c = (total * p + 50) / 100;
        if p > 0 && c == 0 {
            c = 1;
        }
        if p < 100 && c == total {
            c = total - 1;
        }
        Ok((total - c, c, total))
    }
}

impl Router for Replicas {
    fn name(&self) -> &'static str {
        "replicas"
    }

    fn objects(&self) -> Vec<(Kind, String)> {
        vec![(DEPLOYMENT, self.stable.clone()), (DEPLOYMENT, self.canary.clone())]
    }

    fn split(&self, objects: &[Value]) -> Result<TrafficSplit, SplitError> {
        let (stable, canary) = self.counts(objects)?;
        let c = percent(canary, stable);
        let mut split = TrafficSplit::new(c, None, &self.stable, &self.canary);
        // What is served now: the share of the pods that are ready.
        let ready = |i: usize| {
            objects
                .get(i)
                .and_then(|d| d["status"]["readyReplicas"].as_u64())
                .unwrap_or(0)
        };
        let (ready_stable, ready_canary) = (ready(0), ready(1));
        if ready_stable + ready_canary > 0 {
            split.effective = Some(percent(ready_canary, ready_stable));
        }
        Ok(split)
    }

    fn set_canary(&self, objects: &[Value], percent: u32) -> Result<Vec<(usize, Vec<Value>)>, SplitError> {
        let (s, c, _) = self.target(objects, percent)?;
        Ok(vec![
            (0, vec![json!({"op": "replace", "path": "/spec/replicas", "value": s})]),
            (1, vec![json!({"op": "replace", "path": "/spec/replicas", "value": c})]),
        ])
    }

    fn set_shadow(&self, _: &[Value], _: Option<(&str, u32)>) -> Result<Vec<(usize, Vec<Value>)>, SplitError> {
        Err(SplitError::CannotMirror { router: self.name() })
    }

    fn achievable(&self, objects: &[Value], percent: u32) -> Option<String> {
        let (_, c, total) = self.target(objects, percent).ok()?;
        let got = super::percent(c, total - c);
        (got != percent).then(|| format!("asked {percent}%, achievable {got}%: {c} of {total} replicas"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Replicas {
        Replicas {
            stable: "web".into(),
            canary: "web-canary".into(),
        }
    }

    fn pair(stable: u64, canary: u64) -> Vec<Value> {
        vec![
            json!({"spec": {"replicas": stable}}),
            json!({"spec": {"replicas": canary}}),
        ]
    }

    #[test]
    fn the_split_is_the_share_of_replicas() {
        assert_eq!(router().split(&pair(3, 1)).unwrap().canary, 25);
        assert_eq!(router().split(&pair(4, 0)).unwrap().canary, 0);
    }

    #[test]
    fn a_percent_becomes_the_nearest_reachable_replica_count() {
        let patch = router().set_canary(&pair(4, 0), 25).unwrap();
        assert_eq!(patch[0].1[0]["value"], 3);
        assert_eq!(patch[1].1[0]["value"], 1);
        assert_eq!(router().achievable(&pair(4, 0), 25), None, "25% of 4 is exact");
        assert_eq!(
            router().achievable(&pair(4, 0), 10).as_deref(),
            Some("asked 10%, achievable 25%: 1 of 4 replicas"),
            "a canary asked for is never rounded to zero"
        );
        assert_eq!(
            router().achievable(&pair(3, 1), 95).as_deref(),
            Some("asked 95%, achievable 75%: 3 of 4 replicas")
        );
        let all = router().set_canary(&pair(3, 1), 100).unwrap();
        assert_eq!(
            (all[0].1[0]["value"].as_u64(), all[1].1[0]["value"].as_u64()),
            (Some(0), Some(4))
        );
        assert!(matches!(
            router().set_canary(&pair(0, 0), 50),
            Err(SplitError::NoReplicas { .. })
        ));
    }

    #[test]
    fn refusals_are_typed_and_read_as_before() {
        let no_mirror = router().set_shadow(&pair(3, 1), Some(("web-shadow", 5))).unwrap_err();
        assert_eq!(no_mirror, SplitError::CannotMirror { router: "replicas" });
        assert_eq!(
            no_mirror.to_string(),
            "the replicas router cannot mirror traffic; shadow traffic needs the gateway-api or istio router"
        );
        let unset = router().split(&[json!({"spec": {}}), json!({"spec": {"replicas": 1}})]);
        assert_eq!(
            unset.unwrap_err().to_string(),
            "deployment \"web\" has no spec.replicas"
        );
    }
}
