//! Blue-green: a Service's selector moves between version labels
//! (`version: v2.0.5` → `version: v2.1.0`). Refused when the target side
//! has no ready pods; the version left is recorded on the Service so one
//! key (or `bluegreen back`) switches back.

use serde_json::{Value, json};

use super::permission::Permission;
use super::{Change, Operation, OpsError, Plan, PlanOrSkip, Write, precondition};
use crate::backends::kube::Connection;
use crate::backends::kube::objects::{self, POD, SERVICE};
use crate::domain::version::Versioned;
use crate::text::{Clean, clean, count};

pub const ACTION: &str = "bluegreen.switch";
pub const VERSION_KEY: &str = "version";
/// Where the version switched away from is kept, for switching back.
pub const PREVIOUS_ANNOTATION: &str = "modeldeck.io/previous-version";

#[derive(Debug, Clone, PartialEq)]
pub enum SwitchTo {
    /// A version label value; "2.1.0" also finds pods labelled "v2.1.0".
    Version(String),
    /// The version recorded when the Service was last switched.
    Back,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlueGreenSwitch {
    pub service: String,
    pub to: SwitchTo,
}

/// One side of a blue-green pair as a Service sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Side {
    pub service: String,
    /// The selector without its version: which pods the Service is for.
    pub selects: std::collections::BTreeMap<String, String>,
    /// The selector's version label value ("v2.0.5").
    pub selector_version: Option<String>,
    /// What the selected pods run, by the version rule: after a `kubectl
    /// set image` it differs from the selector's label, and says so.
    #[serde(flatten)]
    pub runs: Versioned,
    pub previous: Option<String>,
    pub ready: usize,
    pub pods: usize,
}

/// The pods a selector picks: how many are ready, and what most of them run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pods {
    pub ready: usize,
    pub all: usize,
    pub runs: Versioned,
}

impl Pods {
    /// "3 ready pods", or "1 ready pod running 2.1.1 (label version=v2.1.0 disagrees)"
    /// when the pods' version is not what the selector's label says.
    pub fn describe(&self) -> String {
        let ready = count(self.ready, "ready pod", "ready pods");
        match &self.runs.disagrees {
            Some(_) => format!("{ready} running {}", self.runs.describe("?")),
            None => ready,
        }
    }
}

fn selector_string(selector: &serde_json::Map<String, Value>, version: Option<&str>) -> String {
    let mut parts: Vec<String> = selector
        .iter()
        .filter(|(k, _)| k.as_str() != VERSION_KEY)
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    if let Some(version) = version {
        parts.push(format!("{VERSION_KEY}={version}"));
    }
    parts.join(",")
}

fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

/// The pods the selector with `version` would select.
pub(super) async fn pods(
    conn: &Connection,
    selector: &serde_json::Map<String, Value>,
    version: &str,
) -> Result<Pods, OpsError> {
    let pods = objects::list(conn, POD, &selector_string(selector, Some(version))).await?;
    // What most of them run (a rollout in progress mixes two).
    let mut runs: Vec<(Versioned, usize)> = Vec::new();
    for pod in &pods {
        let v = objects::version_of(&conn.versions, pod);
        match runs.iter_mut().find(|(seen, _)| *seen == v) {
            Some((_, n)) => *n += 1,
            None => runs.push((v, 1)),
        }
    }
    runs.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    Ok(Pods {
        ready: pods.iter().filter(|p| is_ready(p)).count(),
        all: pods.len(),
        runs: runs.into_iter().next().map(|(v, _)| v).unwrap_or_default(),
    })
}

/// Which version each Service with a version selector points to.
pub async fn sides(conn: &Connection) -> Result<Vec<Side>, OpsError> {
    let mut out = Vec::new();
    for svc in objects::list(conn, SERVICE, "").await? {
        let Some(selector) = svc["spec"]["selector"].as_object() else {
            continue;
        };
        let Some(version) = selector.get(VERSION_KEY).and_then(Value::as_str) else {
            continue;
        };
        let selected = pods(conn, selector, version).await?;
        out.push(Side {
            service: clean(svc["metadata"]["name"].as_str().unwrap_or_default()),
            selects: selector
                .iter()
                .filter(|(k, _)| k.as_str() != VERSION_KEY)
                .map(|(k, v)| (clean(k), clean(v.as_str().unwrap_or_default())))
                .collect(),
            selector_version: Some(clean(version)),
            runs: selected.runs,
            previous: svc["metadata"]["annotations"][PREVIOUS_ANNOTATION].as_str().map(clean),
            ready: selected.ready,
            pods: selected.all,
        });
    }
    Ok(out)
}

impl Operation for BlueGreenSwitch {
    fn action(&self) -> &'static str {
        ACTION
    }

    fn target(&self, conn: &Connection) -> String {
        format!("service/{}/{}", conn.namespace, self.service)
    }

    fn permission(&self, conn: &Connection) -> Permission {
        Permission::patch(&SERVICE, &conn.namespace, &self.service)
    }

    async fn plan(&self, conn: &Connection) -> Result<PlanOrSkip, OpsError> {
        let svc = objects::get(conn, SERVICE, &self.service).await?;
        let name = format!("{}/{}", conn.namespace, self.service);
        let selector = svc["spec"]["selector"].as_object().cloned().unwrap_or_default();
        let Some(current) = selector.get(VERSION_KEY).and_then(Value::as_str).map(str::to_owned) else {
            return Err(OpsError::Refused(format!(
                "service {name} selects pods by {{{}}} with no {VERSION_KEY:?} key; blue-green switching moves that label",
                selector_string(&selector, None)
            )));
        };
        let wanted = match &self.to {
            SwitchTo::Version(v) => v.clone(),
            SwitchTo::Back => svc["metadata"]["annotations"][PREVIOUS_ANNOTATION]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| {
                    OpsError::Refused(format!(
                        "service {name} has no previous version recorded to switch back to"
                    ))
                })?,
        };
        // "2.1.0" and "v2.1.0" name the same release; use the one pods carry.
        let bare = wanted.trim_start_matches('v').to_owned();
        let mut target = None;
        for candidate in [wanted.clone(), format!("v{bare}"), bare] {
            let counts = pods(conn, &selector, &candidate).await?;
            if counts.all > 0 {
                target = Some((candidate, counts));
                break;
            }
        }
        let Some((target, target_pods)) = target else {
            return Err(OpsError::Refused(format!(
                "no pods match {} behind service {name}; nothing would serve after the switch",
                selector_string(&selector, Some(&wanted))
            )));
        };
        if target == current {
            return Ok(PlanOrSkip::Skip(format!(
                "service {name} already points to {VERSION_KEY}={current}"
            )));
        }
        if target_pods.ready == 0 {
            let all = target_pods.all;
            return Err(OpsError::Refused(format!(
                "none of the {all} pods with {VERSION_KEY}={target} behind service {name} is ready; switching would send its traffic nowhere"
            )));
        }
        let current_pods = pods(conn, &selector, &current).await?;
        let mut patch = vec![json!({"op": "replace", "path": "/spec/selector/version", "value": target})];
        if svc["metadata"]["annotations"].is_object() {
            patch.push(
                json!({"op": "add", "path": "/metadata/annotations/modeldeck.io~1previous-version", "value": current}),
            );
        } else {
            patch.push(json!({"op": "add", "path": "/metadata/annotations", "value": {PREVIOUS_ANNOTATION: current}}));
        }
        patch.push(precondition(&svc));
        Ok(PlanOrSkip::Plan(Box::new(Plan {
            summary: Clean::new(&format!(
                "switch service {name} from {VERSION_KEY}={current} ({}) to {VERSION_KEY}={target} ({})",
                current_pods.describe(),
                target_pods.describe()
            )),
            changes: vec![
                Change::new("selector version", &current, &target),
                Change::new(
                    "running version",
                    current_pods.runs.describe("?"),
                    target_pods.runs.describe("?"),
                ),
            ],
            before: json!({"selector": {VERSION_KEY: current}}),
            after: json!({"selector": {VERSION_KEY: target}}),
            read: vec![svc],
            writes: vec![Write::new(SERVICE, &self.service, Value::Array(patch))],
        })))
    }
}
