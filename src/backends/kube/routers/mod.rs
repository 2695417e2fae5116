//! Traffic routers: where a canary's share of requests is set. Each router
//! is a pure function pair over its object's JSON — read the split, and
//! produce the JSON Patch for a new canary percent — so every router is
//! tested without a cluster and the ops layer does the IO for all alike.

pub mod gateway_api;
pub mod ingress_nginx;
pub mod istio;
pub mod kserve;

use serde::Serialize;
use serde_json::Value;

use super::objects::Kind;
use crate::config::settings::{RolloutSettings, RouterKind};

/// How requests are split now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrafficSplit {
    /// Percent of requests served by the stable side.
    pub stable: u32,
    /// Percent served by the canary.
    pub canary: u32,
    /// Percent mirrored to a shadow (served by nobody), when mirroring.
    pub shadow: Option<u32>,
    pub stable_backend: String,
    pub canary_backend: String,
}

pub trait Router: Send + Sync {
    /// The router's name in the configuration (`gateway-api`, `istio`, …).
    fn name(&self) -> &'static str;
    /// The kind of object holding the weights.
    fn kind(&self) -> Kind;
    /// Its name.
    fn object(&self) -> &str;
    fn split(&self, object: &Value) -> Result<TrafficSplit, String>;
    /// JSON Patch operations that give the canary `percent` of requests.
    fn set_canary(&self, object: &Value, percent: u32) -> Result<Vec<Value>, String>;
    /// JSON Patch operations that mirror `percent` of requests to the
    /// backend `to` (answers dropped), or stop mirroring (`None`). Only
    /// routers whose object can mirror implement it.
    fn set_shadow(&self, object: &Value, shadow: Option<(&str, u32)>) -> Result<Vec<Value>, String> {
        let _ = (object, shadow);
        Err(format!(
            "the {} router cannot mirror traffic; shadow traffic needs the gateway-api or istio router",
            self.name()
        ))
    }
}

/// The router configured for a deployment.
pub fn for_rollout(settings: &RolloutSettings) -> Box<dyn Router> {
    match settings.router {
        RouterKind::GatewayApi => Box::new(gateway_api::GatewayApi::new(settings)),
        RouterKind::Istio => Box::new(istio::Istio::new(settings)),
        RouterKind::IngressNginx => Box::new(ingress_nginx::IngressNginx::new(settings)),
        RouterKind::KServe => Box::new(kserve::KServe::new(settings)),
    }
}

/// Percent of `part` in `part + rest`, rounded to the nearest integer.
pub fn percent(part: u64, rest: u64) -> u32 {
    let total = part + rest;
    (part * 100 + total / 2).checked_div(total).map_or(0, |p| p as u32)
}
