//! Gateway API: an HTTPRoute rule with two weighted `backendRefs`, stable
//! and canary. A weight left out counts as 1, as the Gateway API says.

use serde_json::{Value, json};

use super::{ObjectRouter, SplitError, TrafficSplit, percent};
use crate::backends::kube::objects::{HTTPROUTE, Kind};
use crate::config::settings::RolloutSettings;

pub struct GatewayApi {
    route: String,
    stable: String,
    canary: String,
}

impl GatewayApi {
    pub fn new(settings: &RolloutSettings) -> GatewayApi {
        GatewayApi {
            route: settings.route.clone(),
            stable: settings.stable.clone(),
            canary: settings.canary.clone(),
        }
    }

    /// (rule, stable backendRef, canary backendRef) indexes.
    fn locate(&self, route: &Value) -> Result<(usize, usize, usize), SplitError> {
        let rules = route["spec"]["rules"].as_array().cloned().unwrap_or_default();
        for (r, rule) in rules.iter().enumerate() {
            let refs = rule["backendRefs"].as_array().cloned().unwrap_or_default();
            let find = |name: &str| refs.iter().position(|b| b["name"] == name);
            if let (Some(s), Some(c)) = (find(&self.stable), find(&self.canary)) {
                return Ok((r, s, c));
            }
        }
        let most = rules
            .iter()
            .filter_map(|r| r["backendRefs"].as_array())
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        let names: Vec<&str> = rules
            .iter()
            .flat_map(|r| r["backendRefs"].as_array().into_iter().flatten())
            .filter_map(|b| b["name"].as_str())
            .collect();
        let problem = if most < 2 {
            format!(
                "has no second backend (no rule has more than {most}); a canary needs a stable and a canary backendRef"
            )
        } else {
            format!(
                "has no rule with both backends {:?} and {:?}; its backendRefs are {}",
                self.stable,
                self.canary,
                names.join(", ")
            )
        };
        Err(SplitError::shape("HTTPRoute", &self.route, problem))
    }
}

fn weight(backend: &Value) -> u64 {
    backend["weight"].as_u64().unwrap_or(1)
}

impl ObjectRouter for GatewayApi {
    fn name(&self) -> &'static str {
        "gateway-api"
    }

    fn kind(&self) -> Kind {
        HTTPROUTE
    }

    fn object(&self) -> &str {
        &self.route
    }

    fn split(&self, route: &Value) -> Result<TrafficSplit, SplitError> {
        let (r, s, c) = self.locate(route)?;
        let refs = &route["spec"]["rules"][r]["backendRefs"];
        let canary = percent(weight(&refs[c]), weight(&refs[s]));
        let mirror = route["spec"]["rules"][r]["filters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["type"] == "RequestMirror");
        let shadow = mirror.map(|f| {
            let m = &f["requestMirror"];
            match (m["percent"].as_u64(), m["fraction"]["numerator"].as_u64()) {
                // A percent is at most 100: a larger one (a bad object)
                // saturates there instead of wrapping round.
                (Some(p), _) => p.min(100) as u32,
                (None, Some(n)) => percent(
                    n,
                    m["fraction"]["denominator"].as_u64().unwrap_or(100).saturating_sub(n),
                ),
                (None, None) => 100,
            }
        });
        let mirrored_to = mirror.and_then(|f| f["requestMirror"]["backendRef"]["name"].as_str());
        Ok(TrafficSplit::new(canary, shadow, &self.stable, &self.canary).mirrored_to(mirrored_to))
    }

    fn set_shadow(&self, route: &Value, shadow: Option<(&str, u32)>) -> Result<Vec<Value>, SplitError> {
        self.mirror_patch(route, shadow)
    }

    fn set_canary(&self, route: &Value, percent: u32) -> Result<Vec<Value>, SplitError> {
        let (r, s, c) = self.locate(route)?;
        let path = |i: usize| format!("/spec/rules/{r}/backendRefs/{i}/weight");
        // `add` sets the member whether or not it was there.
        Ok(vec![
            json!({"op": "add", "path": path(s), "value": 100 - percent.min(100)}),
            json!({"op": "add", "path": path(c), "value": percent.min(100)}),
        ])
    }
}

impl GatewayApi {
    /// The RequestMirror filter of the rule, in the standard (v1.2+)
    /// `percent` form.
    pub fn mirror_patch(&self, route: &Value, shadow: Option<(&str, u32)>) -> Result<Vec<Value>, SplitError> {
        let (r, _, _) = self.locate(route)?;
        let filters = route["spec"]["rules"][r]["filters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut kept: Vec<Value> = filters.into_iter().filter(|f| f["type"] != "RequestMirror").collect();
        if let Some((backend, percent)) = shadow {
            kept.push(json!({
                "type": "RequestMirror",
                "requestMirror": {"backendRef": {"name": backend, "port": backend_port(route, r)}, "percent": percent.min(100)},
            }));
        }
        Ok(vec![
            json!({"op": "add", "path": format!("/spec/rules/{r}/filters"), "value": kept}),
        ])
    }
}

/// The port of the rule's first backendRef, for the mirror's backendRef.
fn backend_port(route: &Value, rule: usize) -> Value {
    route["spec"]["rules"][rule]["backendRefs"][0]["port"].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> GatewayApi {
        GatewayApi {
            route: "r".into(),
            stable: "blue".into(),
            canary: "green".into(),
        }
    }

    fn route(refs: Value) -> Value {
        json!({"spec": {"rules": [{"matches": [{"path": {"value": "/"}}]}, {"backendRefs": refs}]}})
    }

    #[test]
    fn weights_read_as_percents_and_patch_in_place() {
        let r = route(json!([{"name": "blue", "weight": 90}, {"name": "green", "weight": 10}]));
        let split = router().split(&r).unwrap();
        assert_eq!((split.stable, split.canary, split.shadow), (90, 10, None));
        let patch = router().set_canary(&r, 25).unwrap();
        assert_eq!(
            patch[0],
            json!({"op": "add", "path": "/spec/rules/1/backendRefs/0/weight", "value": 75})
        );
        assert_eq!(
            patch[1],
            json!({"op": "add", "path": "/spec/rules/1/backendRefs/1/weight", "value": 25})
        );
    }

    #[test]
    fn missing_weights_count_as_one_and_mirrors_are_shadow() {
        let mut r = route(json!([{"name": "green"}, {"name": "blue"}]));
        assert_eq!(router().split(&r).unwrap().canary, 50);
        r["spec"]["rules"][1]["filters"] =
            json!([{"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "shadow"}, "percent": 20}}]);
        assert_eq!(router().split(&r).unwrap().shadow, Some(20));
        // A percent past u32 (a hand-edited object) saturates at 100; it
        // does not wrap round to a small one.
        r["spec"]["rules"][1]["filters"][0]["requestMirror"]["percent"] = json!(4_294_967_301_u64);
        assert_eq!(router().split(&r).unwrap().shadow, Some(100));
    }

    #[test]
    fn mirroring_adds_and_removes_one_filter() {
        let mut r = route(json!([{"name": "blue", "port": 80}, {"name": "green", "port": 80}]));
        r["spec"]["rules"][1]["filters"] = json!([{"type": "RequestHeaderModifier"}]);
        let on = router().set_shadow(&r, Some(("shadow", 20))).unwrap();
        let filters = &on[0]["value"];
        assert_eq!(filters.as_array().unwrap().len(), 2, "other filters stay");
        assert_eq!(
            filters[1]["requestMirror"],
            json!({"backendRef": {"name": "shadow", "port": 80}, "percent": 20})
        );
        r["spec"]["rules"][1]["filters"] = filters.clone();
        assert_eq!(router().split(&r).unwrap().shadow, Some(20));
        assert_eq!(router().split(&r).unwrap().shadow_backend.as_deref(), Some("shadow"));
        let off = router().set_shadow(&r, None).unwrap();
        assert_eq!(off[0]["value"], json!([{"type": "RequestHeaderModifier"}]));
    }

    #[test]
    fn a_route_without_two_backends_is_explained() {
        let err = router()
            .split(&route(json!([{"name": "blue"}])))
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no second backend"), "{err}");
        let err = router()
            .split(&route(json!([{"name": "blue"}, {"name": "red"}])))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no rule with both backends") && err.contains("blue, red"),
            "{err}"
        );
    }
}
