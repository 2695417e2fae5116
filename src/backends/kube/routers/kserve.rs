//! KServe: an InferenceService's `spec.predictor.canaryTrafficPercent`
//! sends that share to the latest revision and the rest to the previous
//! rolled-out one. `stable` and `canary` only label the two sides.

use serde_json::{Value, json};

use super::{ObjectRouter, SplitError, TrafficSplit};
use crate::backends::kube::objects::Kind;
use crate::config::settings::RolloutSettings;

pub const INFERENCESERVICE: Kind = Kind {
    group: "serving.kserve.io",
    version: "v1beta1",
    kind: "InferenceService",
    plural: "inferenceservices",
};

pub struct KServe {
    route: String,
    stable: String,
    canary: String,
}

impl KServe {
    pub fn new(settings: &RolloutSettings) -> KServe {
        KServe {
            route: settings.route.clone(),
            stable: settings.stable.clone(),
            canary: settings.canary.clone(),
        }
    }

    fn predictor<'a>(&self, isvc: &'a Value) -> Result<&'a Value, SplitError> {
        let predictor = &isvc["spec"]["predictor"];
        if predictor.is_object() {
            Ok(predictor)
        } else {
            Err(SplitError::shape(
                "InferenceService",
                &self.route,
                "has no spec.predictor; only the predictor's traffic can be split",
            ))
        }
    }
}

impl ObjectRouter for KServe {
    fn name(&self) -> &'static str {
        "kserve"
    }

    fn kind(&self) -> Kind {
        INFERENCESERVICE
    }

    fn object(&self) -> &str {
        &self.route
    }

    fn split(&self, isvc: &Value) -> Result<TrafficSplit, SplitError> {
        // Unset, the latest revision takes everything and becomes the
        // stable side: no canary is running.
        let canary = match &self.predictor(isvc)?["canaryTrafficPercent"] {
            Value::Null => 0,
            value => value.as_u64().map(|p| p.min(100) as u32).ok_or_else(|| {
                SplitError::shape(
                    "InferenceService",
                    &self.route,
                    format!("has spec.predictor.canaryTrafficPercent {value}, which is not a whole percent"),
                )
            })?,
        };
        Ok(TrafficSplit::new(canary, None, &self.stable, &self.canary))
    }

    fn set_canary(&self, isvc: &Value, percent: u32) -> Result<Vec<Value>, SplitError> {
        // `add` needs the parent to exist.
        self.predictor(isvc)?;
        Ok(vec![
            json!({"op": "add", "path": "/spec/predictor/canaryTrafficPercent", "value": percent.min(100)}),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> KServe {
        KServe {
            route: "sklearn".into(),
            stable: "previous".into(),
            canary: "latest".into(),
        }
    }

    fn isvc(predictor: Value) -> Value {
        json!({"spec": {"predictor": predictor}})
    }

    #[test]
    fn the_canary_percent_is_read_and_patched() {
        let i = isvc(json!({"model": {"modelFormat": {"name": "sklearn"}}, "canaryTrafficPercent": 10}));
        let split = router().split(&i).unwrap();
        assert_eq!((split.stable, split.canary, split.shadow), (90, 10, None));
        assert_eq!(
            (split.stable_backend.as_str(), split.canary_backend.as_str()),
            ("previous", "latest")
        );
        assert_eq!(
            router().set_canary(&i, 30).unwrap(),
            vec![json!({"op": "add", "path": "/spec/predictor/canaryTrafficPercent", "value": 30})]
        );
        assert_eq!(router().set_canary(&i, 150).unwrap()[0]["value"], 100);
    }

    #[test]
    fn no_percent_is_no_canary_and_out_of_range_is_clamped() {
        let split = router().split(&isvc(json!({}))).unwrap();
        assert_eq!((split.stable, split.canary), (100, 0));
        assert_eq!(
            router()
                .split(&isvc(json!({"canaryTrafficPercent": 400})))
                .unwrap()
                .canary,
            100
        );
        let err = router().set_shadow(&isvc(json!({})), None).unwrap_err().to_string();
        assert!(err.contains("kserve router cannot mirror"), "{err}");
    }

    #[test]
    fn odd_services_are_explained() {
        let err = router().set_canary(&json!({"spec": {}}), 10).unwrap_err().to_string();
        assert!(
            err.contains("InferenceService \"sklearn\" has no spec.predictor"),
            "{err}"
        );
        let err = router()
            .split(&isvc(json!({"canaryTrafficPercent": "10"})))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("canaryTrafficPercent \"10\", which is not a whole percent"),
            "{err}"
        );
        let err = router()
            .split(&isvc(json!({"canaryTrafficPercent": -5})))
            .unwrap_err()
            .to_string();
        assert!(err.contains("canaryTrafficPercent -5"), "{err}");
    }
}
