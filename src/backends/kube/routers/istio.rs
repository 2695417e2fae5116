//! Istio: a VirtualService http route whose weighted `route` destinations
//! include the stable and the canary. A configured name matches a
//! destination's subset (one host, a subset per version) or its host (a
//! host per version). Shadow traffic is the route's `mirror`.

use serde_json::{Value, json};

use super::{ObjectRouter, SplitError, TrafficSplit, percent};
use crate::backends::kube::objects::Kind;
use crate::config::settings::RolloutSettings;

pub const VIRTUALSERVICE: Kind = Kind {
    group: "networking.istio.io",
    version: "v1",
    kind: "VirtualService",
    plural: "virtualservices",
};

pub struct Istio {
    route: String,
    stable: String,
    canary: String,
}

impl Istio {
    pub fn new(settings: &RolloutSettings) -> Istio {
        Istio {
            route: settings.route.clone(),
            stable: settings.stable.clone(),
            canary: settings.canary.clone(),
        }
    }

    /// (http route, stable destination, canary destination) indexes.
    fn locate(&self, vs: &Value) -> Result<(usize, usize, usize), SplitError> {
        let http = vs["spec"]["http"].as_array().map_or(&[][..], Vec::as_slice);
        for (i, rule) in http.iter().enumerate() {
            let dests = destinations(rule);
            let (stables, canaries) = (matches(dests, &self.stable), matches(dests, &self.canary));
            // Two names may match one destination (a host and its subset):
            // take the first pair that is two destinations.
            let pair = stables
                .iter()
                .flat_map(|&s| canaries.iter().map(move |&c| (s, c)))
                .find(|(s, c)| s != c);
            if let Some((s, c)) = pair {
                return Ok((i, s, c));
            }
        }
        let most = http.iter().map(|r| destinations(r).len()).max().unwrap_or(0);
        let names: Vec<String> = http.iter().flat_map(destinations).map(describe).collect();
        let problem = if most < 2 {
            format!(
                "has no second destination (no http route has more than {most}); a canary needs a stable and a canary destination"
            )
        } else {
            format!(
                "has no http route with both destinations {:?} and {:?} (by subset or host); its destinations are {}",
                self.stable,
                self.canary,
                names.join(", ")
            )
        };
        Err(SplitError::shape("VirtualService", &self.route, problem))
    }
}

fn destinations(rule: &Value) -> &[Value] {
    rule["route"].as_array().map_or(&[][..], Vec::as_slice)
}

/// Destinations `name` refers to, subset matches first: with subsets of
/// one host, the host name matches every destination.
fn matches(dests: &[Value], name: &str) -> Vec<usize> {
    let by = |field: &'static str| (0..dests.len()).filter(move |&j| dests[j]["destination"][field] == name);
    by("subset").chain(by("host")).collect()
}

fn describe(dest: &Value) -> String {
    let d = &dest["destination"];
    let host = d["host"].as_str().unwrap_or("?");
    match d["subset"].as_str() {
        Some(subset) => format!("{host} (subset {subset})"),
        None => host.to_string(),
    }
}

/// Istio: a lone destination takes all traffic; among several, an unset
/// weight is 0.
fn weight(rule: &Value, j: usize) -> u64 {
    let default = if destinations(rule).len() == 1 { 100 } else { 0 };
    rule["route"][j]["weight"].as_u64().unwrap_or(default)
}

impl ObjectRouter for Istio {
    fn name(&self) -> &'static str {
        "istio"
    }

    fn kind(&self) -> Kind {
        VIRTUALSERVICE
    }

    fn object(&self) -> &str {
        &self.route
    }

    fn split(&self, vs: &Value) -> Result<TrafficSplit, SplitError> {
        let (i, s, c) = self.locate(vs)?;
        let rule = &vs["spec"]["http"][i];
        let canary = percent(weight(rule, c), weight(rule, s));
        // A mirror without mirrorPercentage copies every request.
        let shadow = rule["mirror"].is_object().then(|| {
            let value = rule["mirrorPercentage"]["value"].as_f64().unwrap_or(100.0);
            value.clamp(0.0, 100.0).round() as u32
        });
        // The mirror names a subset of the host where the route splits by
        // subsets (as `set_shadow` writes it), else a host of its own.
        let mirror = &rule["mirror"];
        let mirrored_to = mirror["subset"].as_str().or_else(|| mirror["host"].as_str());
        Ok(TrafficSplit::new(canary, shadow, &self.stable, &self.canary).mirrored_to(mirrored_to))
    }

    fn set_canary(&self, vs: &Value, percent: u32) -> Result<Vec<Value>, SplitError> {
        let (i, s, c) = self.locate(vs)?;
        let path = |j: usize| format!("/spec/http/{i}/route/{j}/weight");
        // `add` sets the member whether or not it was there.
        Ok(vec![
            json!({"op": "add", "path": path(s), "value": 100 - percent.min(100)}),
            json!({"op": "add", "path": path(c), "value": percent.min(100)}),
        ])
    }

    fn set_shadow(&self, vs: &Value, shadow: Option<(&str, u32)>) -> Result<Vec<Value>, SplitError> {
        let (i, _, _) = self.locate(vs)?;
        let rule = &vs["spec"]["http"][i];
        let path = |field: &str| format!("/spec/http/{i}/{field}");
        let Some((backend, percent)) = shadow else {
            // `remove` fails on a missing member, so only what is there.
            return Ok(["mirror", "mirrorPercentage"]
                .into_iter()
                .filter(|f| rule.get(f).is_some())
                .map(|f| json!({"op": "remove", "path": path(f)}))
                .collect());
        };
        // Where the route splits by subsets of one host, the shadow is
        // another subset of that host; otherwise it is a host of its own.
        let (_, stable, _) = self.locate(vs)?;
        let stable = destinations(rule).get(stable).map(|d| &d["destination"]);
        let mirror = match stable {
            Some(d) if d["subset"].is_string() => json!({"host": d["host"], "subset": backend}),
            _ => json!({"host": backend}),
        };
        Ok(vec![
            json!({"op": "add", "path": path("mirror"), "value": mirror}),
            json!({"op": "add", "path": path("mirrorPercentage"), "value": {"value": f64::from(percent.min(100))}}),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(stable: &str, canary: &str) -> Istio {
        Istio {
            route: "vs".into(),
            stable: stable.into(),
            canary: canary.into(),
        }
    }

    fn vs(route: Value) -> Value {
        json!({"spec": {"http": [{"route": [{"destination": {"host": "other"}}]}, {"route": route}]}})
    }

    fn subsets() -> Value {
        vs(json!([
            {"destination": {"host": "reviews", "subset": "v1"}, "weight": 90},
            {"destination": {"host": "reviews", "subset": "v2"}, "weight": 10},
        ]))
    }

    #[test]
    fn subset_weights_read_as_percents_and_patch_in_place() {
        let split = router("v1", "v2").split(&subsets()).unwrap();
        assert_eq!((split.stable, split.canary, split.shadow), (90, 10, None));
        let patch = router("v1", "v2").set_canary(&subsets(), 25).unwrap();
        assert_eq!(
            patch,
            vec![
                json!({"op": "add", "path": "/spec/http/1/route/0/weight", "value": 75}),
                json!({"op": "add", "path": "/spec/http/1/route/1/weight", "value": 25}),
            ]
        );
    }

    #[test]
    fn hosts_match_and_missing_weights_count_as_zero() {
        let v = vs(json!([{"destination": {"host": "b"}}, {"destination": {"host": "a"}, "weight": 100}]));
        let split = router("a", "b").split(&v).unwrap();
        assert_eq!((split.stable, split.canary), (100, 0));
        // The host matches both destinations; the subset picks the canary.
        let v = vs(json!([
            {"destination": {"host": "reviews", "subset": "v2"}, "weight": 30},
            {"destination": {"host": "reviews", "subset": "v1"}, "weight": 70},
        ]));
        assert_eq!(router("reviews", "v2").split(&v).unwrap().canary, 30);
    }

    #[test]
    fn mirroring_sets_and_removes_mirror_and_percentage() {
        let mut v = subsets();
        let on = router("v1", "v2").set_shadow(&v, Some(("v1", 20))).unwrap();
        assert_eq!(
            on,
            vec![
                json!({"op": "add", "path": "/spec/http/1/mirror", "value": {"host": "reviews", "subset": "v1"}}),
                json!({"op": "add", "path": "/spec/http/1/mirrorPercentage", "value": {"value": 20.0}}),
            ]
        );
        // A route of subsets mirrors to another subset of the same host.
        let on = router("v1", "v2").set_shadow(&v, Some(("v3", 120))).unwrap();
        assert_eq!(on[0]["value"], json!({"host": "reviews", "subset": "v3"}));
        assert_eq!(on[1]["value"], json!({"value": 100.0}));
        // A route of hosts mirrors to a host.
        let hosts = vs(json!([
            {"destination": {"host": "reviews-v1"}, "weight": 90},
            {"destination": {"host": "reviews-v2"}, "weight": 10},
        ]));
        let on = router("reviews-v1", "reviews-v2")
            .set_shadow(&hosts, Some(("reviews-v3", 5)))
            .unwrap();
        assert_eq!(on[0]["value"], json!({"host": "reviews-v3"}));

        v["spec"]["http"][1]["mirror"] = json!({"host": "shadow"});
        assert_eq!(router("v1", "v2").split(&v).unwrap().shadow, Some(100));
        assert_eq!(
            router("v1", "v2").split(&v).unwrap().shadow_backend.as_deref(),
            Some("shadow")
        );
        let off = router("v1", "v2").set_shadow(&v, None).unwrap();
        assert_eq!(off, vec![json!({"op": "remove", "path": "/spec/http/1/mirror"})]);
        v["spec"]["http"][1]["mirrorPercentage"] = json!({"value": 12.5});
        assert_eq!(router("v1", "v2").split(&v).unwrap().shadow, Some(13));
        assert_eq!(router("v1", "v2").set_shadow(&v, None).unwrap().len(), 2);
        assert!(router("v1", "v2").set_shadow(&subsets(), None).unwrap().is_empty());
    }

    #[test]
    fn a_service_without_both_destinations_is_explained() {
        let err = router("v1", "v2")
            .split(&json!({"spec": {"tcp": []}}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("has no second destination (no http route has more than 0)"),
            "{err}"
        );
        let err = router("v1", "v3").split(&subsets()).unwrap_err().to_string();
        assert!(err.contains("no http route with both destinations"), "{err}");
        assert!(err.contains("other, reviews (subset v1), reviews (subset v2)"), "{err}");
        let err = router("v1", "v3").set_shadow(&subsets(), None).unwrap_err().to_string();
        assert!(err.contains("VirtualService \"vs\""), "{err}");
    }
}
