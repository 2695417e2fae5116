//! ingress-nginx: a second, canary Ingress for the same host and path,
//! pointing at the canary Service, gets `canary-weight` out of
//! `canary-weight-total` (default 100) of requests. Annotation values are
//! strings.

use serde_json::{Value, json};

use super::{ObjectRouter, SplitError, TrafficSplit, percent};
use crate::backends::kube::objects::Kind;
use crate::config::settings::RolloutSettings;

pub const INGRESS: Kind = Kind {
    group: "networking.k8s.io",
    version: "v1",
    kind: "Ingress",
    plural: "ingresses",
};

const CANARY: &str = "nginx.ingress.kubernetes.io/canary";
const WEIGHT: &str = "nginx.ingress.kubernetes.io/canary-weight";
const TOTAL: &str = "nginx.ingress.kubernetes.io/canary-weight-total";

pub struct IngressNginx {
    route: String,
    stable: String,
    canary: String,
}

impl IngressNginx {
    pub fn new(settings: &RolloutSettings) -> IngressNginx {
        IngressNginx {
            route: settings.route.clone(),
            stable: settings.stable.clone(),
            canary: settings.canary.clone(),
        }
    }

    /// Checks the Ingress is the canary one and returns its weight total.
    fn check(&self, ingress: &Value) -> Result<u64, SplitError> {
        let annotations = &ingress["metadata"]["annotations"];
        if annotations[CANARY] != "true" {
            return Err(SplitError::shape(
                "Ingress",
                &self.route,
                format!("is not an ingress-nginx canary: set {CANARY}: \"true\""),
            ));
        }
        let services: Vec<&str> = ingress["spec"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["http"]["paths"].as_array().into_iter().flatten())
            .map(|p| &p["backend"])
            .chain([&ingress["spec"]["defaultBackend"]])
            .filter_map(|b| b["service"]["name"].as_str())
            .collect();
        if !services.contains(&self.canary.as_str()) {
            let to = if services.is_empty() {
                "no Service".to_string()
            } else {
                services.join(", ")
            };
            let hint = if services.contains(&self.stable.as_str()) {
                " (is it the main Ingress rather than the canary one?)"
            } else {
                ""
            };
            return Err(SplitError::shape(
                "Ingress",
                &self.route,
                format!("points at {to}, not the canary Service {:?}{hint}", self.canary),
            ));
        }
        match number(&self.route, annotations, TOTAL, 100)? {
            0 => Err(SplitError::shape(
                "Ingress",
                &self.route,
                format!("has {TOTAL} 0; it must be at least 1"),
            )),
            total => Ok(total),
        }
    }
}

/// A whole-number annotation, `default` when unset.
fn number(route: &str, annotations: &Value, key: &str, default: u64) -> Result<u64, SplitError> {
    match &annotations[key] {
        Value::Null => Ok(default),
        value => value.as_str().and_then(|s| s.trim().parse().ok()).ok_or_else(|| {
            SplitError::shape(
                "Ingress",
                route,
                format!("has {key} {value}, which is not a whole number"),
            )
        }),
    }
}

impl ObjectRouter for IngressNginx {
    fn name(&self) -> &'static str {
        "ingress-nginx"
    }

    fn kind(&self) -> Kind {
        INGRESS
    }

    fn object(&self) -> &str {
        &self.route
    }

    fn split(&self, ingress: &Value) -> Result<TrafficSplit, SplitError> {
        let total = self.check(ingress)?;
        // No weight means no weighted traffic; above the total means all.
        let weight = number(&self.route, &ingress["metadata"]["annotations"], WEIGHT, 0)?.min(total);
        let canary = percent(weight, total - weight);
        Ok(TrafficSplit::new(canary, None, &self.stable, &self.canary))
    }

    fn set_canary(&self, ingress: &Value, percent: u32) -> Result<Vec<Value>, SplitError> {
        let total = self.check(ingress)?;
        // Nearest whole weight: with a total under 100 not every percent exists.
        let weight = (u128::from(percent.min(100)) * u128::from(total) + 50) / 100;
        // JSON Pointer writes `/` in a key as `~1`.
        let path = format!("/metadata/annotations/{}", WEIGHT.replace('/', "~1"));
        Ok(vec![json!({"op": "add", "path": path, "value": weight.to_string()})])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> IngressNginx {
        IngressNginx {
            route: "model-canary".into(),
            stable: "model-stable".into(),
            canary: "model-next".into(),
        }
    }

    fn ingress(annotations: Value, service: &str) -> Value {
        json!({
            "metadata": {"annotations": annotations},
            "spec": {"rules": [{"host": "m", "http": {"paths": [{"path": "/", "backend": {"service": {"name": service}}}]}}]},
        })
    }

    #[test]
    fn weights_read_as_percents_of_the_total() {
        let i = ingress(json!({CANARY: "true", WEIGHT: "10"}), "model-next");
        let split = router().split(&i).unwrap();
        assert_eq!((split.stable, split.canary, split.shadow), (90, 10, None));
        let i = ingress(json!({CANARY: "true", WEIGHT: "250", TOTAL: "1000"}), "model-next");
        assert_eq!(router().split(&i).unwrap().canary, 25);
        let i = ingress(json!({CANARY: "true"}), "model-next");
        assert_eq!(router().split(&i).unwrap().canary, 0);
        let i = ingress(json!({CANARY: "true", WEIGHT: "300"}), "model-next");
        assert_eq!(router().split(&i).unwrap().canary, 100);
    }

    #[test]
    fn the_weight_annotation_is_patched_scaled_to_the_total() {
        let i = ingress(json!({CANARY: "true", WEIGHT: "10"}), "model-next");
        assert_eq!(
            router().set_canary(&i, 25).unwrap(),
            vec![json!({
                "op": "add",
                "path": "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight",
                "value": "25",
            })]
        );
        let i = ingress(json!({CANARY: "true", TOTAL: "10000"}), "model-next");
        assert_eq!(router().set_canary(&i, 5).unwrap()[0]["value"], "500");
        let i = ingress(json!({CANARY: "true", TOTAL: "3"}), "model-next");
        assert_eq!(router().set_canary(&i, 50).unwrap()[0]["value"], "2", "1.5 rounds up");
    }

    #[test]
    fn a_default_backend_counts_and_mirroring_is_refused() {
        let i = json!({
            "metadata": {"annotations": {CANARY: "true", WEIGHT: "5"}},
            "spec": {"defaultBackend": {"service": {"name": "model-next"}}},
        });
        assert_eq!(router().split(&i).unwrap().canary, 5);
        let err = router().set_shadow(&i, Some(("s", 10))).unwrap_err().to_string();
        assert!(err.contains("ingress-nginx router cannot mirror"), "{err}");
    }

    #[test]
    fn wrong_ingresses_are_explained() {
        let err = router()
            .split(&ingress(json!({}), "model-next"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Ingress \"model-canary\" is not an ingress-nginx canary: set nginx.ingress.kubernetes.io/canary: \"true\""
        );
        let err = router()
            .split(&ingress(json!({CANARY: "false"}), "model-next"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not an ingress-nginx canary"), "{err}");
        let err = router()
            .set_canary(&ingress(json!({CANARY: "true"}), "model-stable"), 5)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("points at model-stable, not the canary Service \"model-next\" (is it the main"),
            "{err}"
        );
        let err = router()
            .split(&json!({"metadata": {"annotations": {CANARY: "true"}}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("points at no Service"), "{err}");
        let err = router()
            .split(&ingress(json!({CANARY: "true", WEIGHT: "ten"}), "model-next"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("canary-weight \"ten\", which is not a whole number"),
            "{err}"
        );
        let err = router()
            .split(&ingress(json!({CANARY: "true", TOTAL: "0"}), "model-next"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("canary-weight-total 0; it must be at least 1"), "{err}");
    }
}
