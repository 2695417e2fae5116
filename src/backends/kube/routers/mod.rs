//! Traffic routers: where a canary's share of requests is set. Each router
//! is a pure function pair over its object's JSON — read the split, and
//! produce the JSON Patch for a new canary percent — so every router is
//! tested without a cluster and the ops layer does the IO for all alike.

pub mod gateway_api;
pub mod ingress_nginx;
pub mod istio;
pub mod kserve;
pub mod replicas;

use serde_json::Value;

use super::objects::Kind;
use crate::config::settings::{RolloutSettings, RouterKind};

pub use crate::domain::traffic::{SplitError, TrafficSplit};

/// A router reads and patches the objects that hold a deployment's split.
pub trait Router: Send + Sync {
    /// The router's name in the configuration (`gateway-api`, `istio`, …).
    fn name(&self) -> &'static str;
    /// The objects holding the split, in the order the methods take them.
    fn objects(&self) -> Vec<(Kind, String)>;
    fn split(&self, objects: &[Value]) -> Result<TrafficSplit, SplitError>;
    /// JSON Patch operations, per object index, that give the canary
    /// `percent` of requests.
    fn set_canary(&self, objects: &[Value], percent: u32) -> Result<Vec<(usize, Vec<Value>)>, SplitError>;
    /// JSON Patch operations, per object index, that mirror `percent` of
    /// requests to the backend `to` (answers dropped), or stop (`None`).
    fn set_shadow(
        &self,
        objects: &[Value],
        shadow: Option<(&str, u32)>,
    ) -> Result<Vec<(usize, Vec<Value>)>, SplitError>;
    /// What the split lands on when it cannot be exactly what was asked
    /// (replica counts), as a sentence; None when it is exact.
    fn achievable(&self, objects: &[Value], percent: u32) -> Option<String> {
        let _ = (objects, percent);
        None
    }
}

/// A router whose split lives in one object (a route, an Ingress, an
/// InferenceService): most of them. They get [`Router`] for free.
pub trait ObjectRouter: Send + Sync {
    fn name(&self) -> &'static str;
    /// The kind of object holding the weights.
    fn kind(&self) -> Kind;
    /// Its name.
    fn object(&self) -> &str;
    fn split(&self, object: &Value) -> Result<TrafficSplit, SplitError>;
    /// JSON Patch operations that give the canary `percent` of requests.
    fn set_canary(&self, object: &Value, percent: u32) -> Result<Vec<Value>, SplitError>;
    /// Mirroring, for objects that can mirror.
    fn set_shadow(&self, object: &Value, shadow: Option<(&str, u32)>) -> Result<Vec<Value>, SplitError> {
        let _ = (object, shadow);
        Err(SplitError::CannotMirror { router: self.name() })
    }
}

fn only(objects: &[Value]) -> Result<&Value, SplitError> {
    objects.first().ok_or(SplitError::NotRead)
}

impl<T: ObjectRouter> Router for T {
    fn name(&self) -> &'static str {
        ObjectRouter::name(self)
    }

    fn objects(&self) -> Vec<(Kind, String)> {
        vec![(self.kind(), self.object().to_owned())]
    }

    fn split(&self, objects: &[Value]) -> Result<TrafficSplit, SplitError> {
        ObjectRouter::split(self, only(objects)?)
    }

    fn set_canary(&self, objects: &[Value], percent: u32) -> Result<Vec<(usize, Vec<Value>)>, SplitError> {
        Ok(vec![(0, ObjectRouter::set_canary(self, only(objects)?, percent)?)])
    }

    fn set_shadow(
        &self,
        objects: &[Value],
        shadow: Option<(&str, u32)>,
    ) -> Result<Vec<(usize, Vec<Value>)>, SplitError> {
        Ok(vec![(0, ObjectRouter::set_shadow(self, only(objects)?, shadow)?)])
    }
}

/// The router configured for a deployment.
pub fn for_rollout(settings: &RolloutSettings) -> Box<dyn Router> {
    match settings.router {
        RouterKind::GatewayApi => Box::new(gateway_api::GatewayApi::new(settings)),
        RouterKind::Istio => Box::new(istio::Istio::new(settings)),
        RouterKind::IngressNginx => Box::new(ingress_nginx::IngressNginx::new(settings)),
        RouterKind::KServe => Box::new(kserve::KServe::new(settings)),
        RouterKind::Replicas => Box::new(replicas::Replicas::new(settings)),
    }
}

/// Percent of `part` in `part + rest`, rounded to the nearest integer.
/// In u128: the weights come from the cluster's objects and may be huge.
pub fn percent(part: u64, rest: u64) -> u32 {
    let (part, total) = (u128::from(part), u128::from(part) + u128::from(rest));
    (part * 100 + total / 2)
        .checked_div(total)
        .map_or(0, |p| p.min(100) as u32)
}
