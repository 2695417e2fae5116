//! Promote, as Argo Rollouts does it: the stable Deployment takes the
//! canary's pod template and rolls out at its own replica count, and only
//! then does the traffic go back to the stable side. Production traffic
//! never lands on the canary's few pods; the stable Service follows the
//! stable Deployment's pods through the rollout (its own selector) and
//! selects the new version after it. What was changed is recorded on the
//! Deployment, so `u` undoes the whole promotion in one plan.

use k8s_openapi::api::apps::v1::Deployment;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::bluegreen::VERSION_KEY;
use super::{Change, OpsError, Plan, PlanOrSkip, Write, precondition};
use crate::backends::kube::Connection;
use crate::backends::kube::objects::{self, DEPLOYMENT, SERVICE};
use crate::backends::kube::rollouts::{self, rollout_of};
use crate::backends::kube::routers::{Router, TrafficSplit};
use crate::text::Clean;
use crate::text::count;

/// Where a promotion is recorded on the stable Deployment, for its undo.
pub const PROMOTION_ANNOTATION: &str = "modeldeck.io/promotion";

/// What a promotion changed, so it can be put back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    /// The stable Deployment's revision before, and the version it ran.
    pub from_revision: i64,
    pub from_version: String,
    /// The version promoted.
    pub to_version: String,
    /// The stable Service and the version label it selected before.
    pub service: String,
    pub selector_version: String,
    /// The canary's weight before.
    pub canary_weight: u32,
}

/// The plan of `deployment`'s promotion, its traffic `now` read by `router`.
pub async fn plan(
    conn: &Connection,
    deployment: &str,
    router: &dyn Router,
    read: Vec<Value>,
    now: &TrafficSplit,
) -> Result<PlanOrSkip, OpsError> {
    let name = format!("{}/{deployment}", conn.namespace);
    if router.objects().len() != 1 {
        return Err(OpsError::Refused(format!(
            "promote is not built for the {} router: set the canary to 100% (canary set), then update the \
             stable deployment to the canary's version",
            router.name()
        )));
    }
    let stable = serde_json::to_value(rollouts::get(conn, deployment).await?).map_err(internal)?;
    let service = objects::get(conn, SERVICE, &now.stable_backend).await?;
    let canary_service = objects::get(conn, SERVICE, &now.canary_backend).await?;
    let canary = canary_deployment(conn, &canary_service, deployment).await?;
    let (from, to) = (
        objects::version_of(&conn.versions, &stable["spec"]["template"]),
        objects::version_of(&conn.versions, &canary["spec"]["template"]),
    );
    let (from_version, to_version) = (
        from.name.as_deref().unwrap_or_default().to_owned(),
        to.name.as_deref().unwrap_or_default().to_owned(),
    );
    if from_version == to_version && now.canary == 0 {
        return Ok(PlanOrSkip::Skip(format!(
            "the stable side of deployment {name} already runs {to_version} and the canary gets 0%"
        )));
    }
    let Some(selector_version) = service["spec"]["selector"][VERSION_KEY].as_str().map(str::to_owned) else {
        return Err(OpsError::Refused(format!(
            "service {} selects pods by {}; promoting moves its {VERSION_KEY:?} label to the new version, so it needs one",
            now.stable_backend, service["spec"]["selector"]
        )));
    };
    let canary_label = canary["spec"]["template"]["metadata"]["labels"][VERSION_KEY]
        .as_str()
        .unwrap_or(&to_version)
        .to_owned();
    let replicas = stable["spec"]["replicas"].as_i64().unwrap_or(1);
    let (keep, surge) = capacity(&stable, replicas);
    let record = Promotion {
        from_revision: rollout_of(
            &serde_json::from_value::<Deployment>(stable.clone()).map_err(internal)?,
            &conn.versions,
        )
        .revision,
        from_version: from_version.clone(),
        to_version: to_version.clone(),
        service: now.stable_backend.clone(),
        selector_version: selector_version.clone(),
        canary_weight: now.canary,
    };
    let own_selector = stable["spec"]["selector"]["matchLabels"].clone();
    let mut after_selector = service["spec"]["selector"].as_object().cloned().unwrap_or_default();
    after_selector.insert(VERSION_KEY.into(), Value::String(canary_label.clone()));
    let writes = [
        // 1. The stable Service follows the stable Deployment's own pods,
        //    old and new, while it rolls out.
        vec![Write::new(
            SERVICE,
            &now.stable_backend,
            json!([{"op": "replace", "path": "/spec/selector", "value": own_selector}, precondition(&service)]),
        )],
        // 2. The stable Deployment takes the canary's template, and rolls out.
        vec![Write {
            then_wait_for: Some(deployment.to_owned()),
            ..Write::new(DEPLOYMENT, deployment, template_patch(&stable, &canary, &record)?)
        }],
        // 3. The Service selects the new version. No previous version is
        //    recorded on it: the old pods are gone, so a switch back would
        //    select nothing; `u` undoes the promotion instead.
        vec![Write::new(
            SERVICE,
            &now.stable_backend,
            json!([
                {"op": "replace", "path": "/spec/selector", "value": after_selector},
                precondition(&service),
            ]),
        )],
        // 4. All traffic back to the stable side.
        super::split::writes_for(router, &read, router.set_canary(&read, 0)?),
    ]
    .concat();
    Ok(PlanOrSkip::Plan(Box::new(Plan {
        summary: Clean::new(&format!(
            "promote the canary of deployment {name}: deployment {deployment} takes the canary's pod template \
             ({to_version}) and rolls out at {} ({}); service {} follows its pods, then selects \
             {VERSION_KEY}={canary_label}; then all traffic returns to the stable side (canary {}% -> 0%). \
             u undoes the promotion",
            count(replicas as usize, "replica", "replicas"),
            capacity_words(keep, surge, replicas),
            now.stable_backend,
            now.canary
        )),
        changes: vec![
            Change::new("stable version", from.describe("-"), to.describe("-")),
            Change::new("stable replicas", replicas.to_string(), replicas.to_string()),
            Change::new(
                format!("service {}", now.stable_backend),
                format!("{VERSION_KEY}={selector_version}"),
                format!("{VERSION_KEY}={canary_label}"),
            ),
            Change::new("canary weight", format!("{}%", now.canary), "0%"),
        ],
        before: json!({"stable": now.stable, "canary": now.canary, "stable_version": from_version}),
        after: json!({"stable": 100, "canary": 0, "stable_version": to_version}),
        read: [read, vec![service, stable]].concat(),
        writes,
    })))
}

/// The Deployment behind the canary Service: the one whose pods it selects.
async fn canary_deployment(conn: &Connection, service: &Value, stable: &str) -> Result<Value, OpsError> {
    let selector: Map<String, Value> = service["spec"]["selector"].as_object().cloned().unwrap_or_default();
    let name = service["metadata"]["name"].as_str().unwrap_or_default();
    for d in rollouts::list(conn).await? {
        let d = serde_json::to_value(d).map_err(internal)?;
        let labels = &d["spec"]["template"]["metadata"]["labels"];
        if d["metadata"]["name"] != stable && !selector.is_empty() && selector.iter().all(|(k, v)| labels[k] == *v) {
            return Ok(d);
        }
    }
    Err(OpsError::Refused(format!(
        "no deployment in {} has the pods service {name} selects, so there is no canary template to promote",
        conn.namespace
    )))
}

/// The canary's pod template for the stable Deployment: its labels keep
/// the stable selector's values (so the Deployment still owns its pods),
/// and the promotion is recorded in an annotation.
fn template_patch(stable: &Value, canary: &Value, record: &Promotion) -> Result<Value, OpsError> {
    let mut template = canary["spec"]["template"].clone();
    if let (Some(labels), Some(own)) = (
        template["metadata"]["labels"].as_object_mut(),
        stable["spec"]["selector"]["matchLabels"].as_object(),
    ) {
        labels.remove("pod-template-hash");
        for (k, v) in own {
            labels.insert(k.clone(), v.clone());
        }
    }
    let record = serde_json::to_string(record).map_err(internal)?;
    Ok(json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        annotate(stable, PROMOTION_ANNOTATION, &record),
        precondition(stable),
    ]))
}

/// A JSON Patch operation setting annotation `key`, whether or not the
/// object has annotations yet.
fn annotate(object: &Value, key: &str, value: &str) -> Value {
    if object["metadata"]["annotations"].is_object() {
        let path = format!("/metadata/annotations/{}", key.replace('~', "~0").replace('/', "~1"));
        json!({"op": "add", "path": path, "value": value})
    } else {
        json!({"op": "add", "path": "/metadata/annotations", "value": {key: value}})
    }
}

/// (fewest ready pods, most extra pods) the Deployment's strategy allows
/// while it rolls out, as the controller rounds them.
fn capacity(deployment: &Value, replicas: i64) -> (i64, i64) {
    let strategy = &deployment["spec"]["strategy"];
    if strategy["type"] == "Recreate" {
        return (0, 0);
    }
    let amount = |v: &Value, default: &str, up: bool| -> i64 {
        let text = v
            .as_str()
            .map(str::to_owned)
            .or_else(|| v.as_i64().map(|n| n.to_string()));
        let text = text.unwrap_or_else(|| default.to_owned());
        match text.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) if up => (replicas * p + 99) / 100,
            Some(p) => replicas * p / 100,
            None => text.parse().unwrap_or(0),
        }
    };
    let rolling = &strategy["rollingUpdate"];
    let surge = amount(&rolling["maxSurge"], "25%", true);
    let mut unavailable = amount(&rolling["maxUnavailable"], "25%", false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    ((replicas - unavailable).max(0), surge)
}

fn capacity_words(keep: i64, surge: i64, replicas: i64) -> String {
    if keep >= replicas {
        format!("at least {replicas} ready pods throughout, {surge} more at a time")
    } else if keep == 0 {
        "Recreate: every pod is replaced at once, so nothing serves until the new ones are ready".into()
    } else {
        format!("at least {keep} of {replicas} ready pods throughout")
    }
}

fn internal(e: impl std::fmt::Display) -> OpsError {
    OpsError::Refused(e.to_string())
}

/// The plan that undoes a recorded promotion: the same steps backwards —
/// the Service follows the Deployment's pods, the Deployment rolls back to
/// the revision before, the Service selects the old version again, and
/// the canary gets its old weight.
pub async fn undo_plan(
    conn: &Connection,
    d: &Value,
    record: &Promotion,
    rollback: Plan,
    router: Option<&dyn Router>,
) -> Result<PlanOrSkip, OpsError> {
    let name = d["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let service = objects::get(conn, SERVICE, &record.service).await?;
    let current_label = service["spec"]["selector"][VERSION_KEY]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut old_selector = service["spec"]["selector"].as_object().cloned().unwrap_or_default();
    old_selector.insert(VERSION_KEY.into(), Value::String(record.selector_version.clone()));
    let mut writes = vec![Write::new(
        SERVICE,
        &record.service,
        json!([
            {"op": "replace", "path": "/spec/selector", "value": d["spec"]["selector"]["matchLabels"]},
            precondition(&service),
        ]),
    )];
    let mut rolled_back = rollback.writes;
    for w in &mut rolled_back {
        w.then_wait_for = Some(name.clone());
    }
    writes.extend(rolled_back);
    writes.push(Write::new(
        SERVICE,
        &record.service,
        json!([
            {"op": "replace", "path": "/spec/selector", "value": old_selector},
            precondition(&service),
        ]),
    ));
    let mut read = [rollback.read, vec![service]].concat();
    let mut weight = String::new();
    if let Some(router) = router {
        let (objects, split) = super::split::split(conn, router).await?;
        let patches = router.set_canary(&objects, record.canary_weight)?;
        writes.extend(super::split::writes_for(router, &objects, patches));
        weight = format!(
            "; the canary gets {}% again (now {}%)",
            record.canary_weight, split.canary
        );
        read.extend(objects);
    }
    let mut changes = rollback.changes;
    changes.push(Change::new(
        format!("service {}", record.service),
        format!("{VERSION_KEY}={current_label}"),
        format!("{VERSION_KEY}={}", record.selector_version),
    ));
    Ok(PlanOrSkip::Plan(Box::new(Plan {
        summary: Clean::new(&format!(
            "undo the promotion of deployment {}/{name}: {}; service {} follows its pods, then selects \
             {VERSION_KEY}={}{weight}",
            conn.namespace, rollback.summary, record.service, record.selector_version
        )),
        changes,
        before: rollback.before,
        after: rollback.after,
        read,
        writes,
    })))
}

/// The promotion recorded on a Deployment (as JSON), if it runs the
/// promoted version still.
pub fn recorded(d: &Value, versions: &crate::domain::version::VersionRule) -> Option<Promotion> {
    let record: Promotion = serde_json::from_str(d["metadata"]["annotations"][PROMOTION_ANNOTATION].as_str()?).ok()?;
    let runs = objects::version_of(versions, &d["spec"]["template"]);
    (runs.name.as_deref() == Some(record.to_version.as_str())).then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_follows_the_rolling_update_rounding() {
        let d = |strategy: Value| json!({"spec": {"strategy": strategy}});
        assert_eq!(capacity(&d(json!({})), 3), (3, 1), "25% of 3: 0 down, 1 up");
        assert_eq!(capacity(&d(json!({"type": "Recreate"})), 3), (0, 0));
        let fixed = json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}});
        assert_eq!(capacity(&d(fixed), 4), (3, 0));
    }

    #[test]
    fn the_stable_deployment_keeps_its_selector_labels() {
        let stable = json!({"metadata": {"annotations": {}}, "spec": {"selector": {"matchLabels": {"app": "m", "track": "stable"}}}});
        let canary = json!({"spec": {"template": {"metadata": {"labels": {"app": "m", "track": "canary", "version": "v2.1.0"}}}}});
        let record = Promotion {
            from_revision: 1,
            from_version: "2.0.5".into(),
            to_version: "2.1.0".into(),
            service: "blue".into(),
            selector_version: "v2.0.5".into(),
            canary_weight: 10,
        };
        let patch = template_patch(&stable, &canary, &record).unwrap();
        assert_eq!(
            patch[0]["value"]["metadata"]["labels"],
            json!({"app": "m", "track": "stable", "version": "v2.1.0"})
        );
        assert_eq!(patch[1]["path"], "/metadata/annotations/modeldeck.io~1promotion");
    }
}
