//! The demo scenario's starting objects: the malaria predictor's stable
//! Deployment (model 2.0.5, three replicas), a canary of 2.1.0 and a shadow
//! of 2.1.1, blue, green and shadow Services selecting each version, and an
//! HTTPRoute splitting traffic between blue and green by weight and
//! mirroring half of it to the shadow.

use serde_json::{Value, json};

use super::error::ApiError;
use super::resources;
use super::store::Store;

pub const NAMESPACE: &str = "ml-serving";
pub const APP: &str = "malaria-predictor";

fn deployment(name: &str, version: &str, track: &str, replicas: i64) -> Value {
    let labels = json!({"app": APP, "version": format!("v{version}"), "track": track, "model": "malaria_lstm"});
    let probe = |path: &str| json!({"httpGet": {"path": path, "port": 8000}, "periodSeconds": 5});
    json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": APP, "track": track}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{
                    "name": "predictor",
                    "image": format!("ghcr.io/modeldeck/malaria-predictor:{version}"),
                    "ports": [{"containerPort": 8000, "name": "http"}],
                    "env": [{"name": "MODEL_VERSION", "value": version}],
                    "livenessProbe": probe("/health/live"),
                    "readinessProbe": probe("/health/ready"),
                    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
                }]},
            },
        },
    })
}

fn service(name: &str, version: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": {"app": APP}},
        "spec": {
            "selector": {"app": APP, "version": format!("v{version}")},
            "ports": [{"name": "http", "port": 80, "targetPort": 8000}],
        },
    })
}

/// Creates the namespace and the demo objects.
pub fn seed(store: &mut Store) -> Result<(), ApiError> {
    store.create(resources::NAMESPACES, "", json!({"metadata": {"name": NAMESPACE}}))?;
    store.create(resources::DEPLOYMENTS, NAMESPACE, deployment(APP, "2.0.5", "stable", 3))?;
    store.create(
        resources::DEPLOYMENTS,
        NAMESPACE,
        deployment(&format!("{APP}-canary"), "2.1.0", "canary", 1),
    )?;
    store.create(resources::SERVICES, NAMESPACE, service(&format!("{APP}-blue"), "2.0.5"))?;
    store.create(
        resources::SERVICES,
        NAMESPACE,
        service(&format!("{APP}-green"), "2.1.0"),
    )?;
    // The suspect 2.1.1 runs as a shadow: it gets mirrored requests only.
    let shadow = format!("{APP}-shadow");
    store.create(
        resources::DEPLOYMENTS,
        NAMESPACE,
        deployment(&shadow, "2.1.1", "shadow", 1),
    )?;
    store.create(resources::SERVICES, NAMESPACE, service(&shadow, "2.1.1"))?;
    store.create(
        resources::HTTPROUTES,
        NAMESPACE,
        json!({
            "metadata": {"name": APP},
            "spec": {
                "parentRefs": [{"name": "ml-gateway"}],
                "hostnames": ["malaria.example.internal"],
                "rules": [{
                    "backendRefs": [
                        {"name": format!("{APP}-blue"), "port": 80, "weight": 90},
                        {"name": format!("{APP}-green"), "port": 80, "weight": 10},
                    ],
                    // Half the requests are mirrored to the shadow, so its
                    // accuracy is measured without it answering anyone.
                    "filters": [{"type": "RequestMirror", "requestMirror": {
                        "backendRef": {"name": shadow, "port": 80}, "percent": 50,
                    }}],
                }],
            },
        }),
    )?;
    Ok(())
}
