//! `modeldeck status` and `modeldeck history`: the Rollouts view's facts for
//! scripts, read through the same backend.

use std::fmt::Write as _;

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};

use crate::backends::kube::clock;
use crate::backends::kube::history::{history, replica_sets};
use crate::backends::kube::rollouts::{self, rollout_of};
use crate::backends::kube::{Connection, KubeError};
use crate::cli::Output;
use crate::commands::table::Table;
use crate::domain::rollout::{Revision, Rollout, RolloutPhase};

/// An object's age on the cluster's clock (see `backends::kube::clock`).
fn age(created: Option<jiff::Timestamp>, now: jiff::Timestamp) -> String {
    created.map_or_else(
        || "-".into(),
        |t| crate::text::human_age(now.as_second() - t.as_second()),
    )
}

/// The cluster's "now" for ages; the local clock only when the server
/// sends no Date header.
async fn cluster_now(conn: &Connection) -> jiff::Timestamp {
    clock::server_now(conn).await.unwrap_or_else(jiff::Timestamp::now)
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, KubeError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| KubeError::Other(e.to_string()))
}

/// As `kubectl get deployments`: with every namespace, a NAMESPACE column
/// first.
pub fn rollouts_table(rollouts: &[Rollout], all_namespaces: bool, now: jiff::Timestamp) -> String {
    let mut headers = vec![
        "NAME",
        "STATUS",
        "REV",
        "VERSION",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
    ];
    if all_namespaces {
        headers.insert(0, "NAMESPACE");
    }
    let mut table = Table::new(&headers);
    for r in rollouts {
        let mut row = vec![
            r.name.to_string(),
            r.status.phase.word().to_owned(),
            r.revision.to_string(),
            version_cell(&r.version),
            format!("{}/{}", r.ready, r.replicas),
            r.updated.to_string(),
            r.available.to_string(),
            age(r.created, now),
        ];
        if all_namespaces {
            row.insert(0, r.namespace.to_string());
        }
        table.row(row);
    }
    let mut out = table.render();
    for r in rollouts.iter().filter(|r| r.version.disagrees.is_some()) {
        let _ = writeln!(out, "! {}: runs {}", r.name, r.version.describe("-"));
    }
    out
}

/// The VERSION column: the version by the rule, "!" when its other source
/// disagrees (explained under the table).
fn version_cell(version: &crate::domain::version::Versioned) -> String {
    let name = version.name.as_deref().unwrap_or("-");
    if version.disagrees.is_some() {
        format!("{name}!")
    } else {
        name.to_owned()
    }
}

/// All rollouts in the namespace, or one with its status message.
pub async fn status(conn: &Connection, name: Option<&str>, output: Output) -> Result<String, KubeError> {
    let now = cluster_now(conn).await;
    let rollouts: Vec<Rollout> = match name {
        Some(name) => vec![rollout_of(&rollouts::get(conn, name).await?, &conn.versions)],
        None => rollouts::list(conn)
            .await?
            .iter()
            .map(|d| rollout_of(d, &conn.versions))
            .collect(),
    };
    match (output, name) {
        (Output::Json, Some(_)) => json(&rollouts[0]),
        (Output::Json, None) => json(&rollouts),
        (Output::Table, Some(_)) => Ok(format!(
            "{}\n{}\n",
            rollouts_table(&rollouts, conn.all_namespaces, now),
            rollouts[0].status.message
        )),
        (Output::Table, None) => Ok(rollouts_table(&rollouts, conn.all_namespaces, now)),
    }
}

/// Follows one rollout from a watch (not polling), calling `print` with each
/// new status message, until it is done; past its deadline is an error
/// with kubectl's message.
pub async fn watch_status(conn: &Connection, name: &str, mut print: impl FnMut(&str)) -> Result<bool, KubeError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), &conn.namespace);
    // Fail fast, with the API's words, when the deployment does not exist.
    rollouts::get(conn, name).await?;
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = watcher(api, config).applied_objects().boxed();
    let mut last = String::new();
    while let Some(event) = stream.next().await {
        let deployment = match event {
            Ok(deployment) => deployment,
            // The watcher reconnects by itself; say so and keep going.
            Err(e) => {
                print(&format!("watch interrupted, reconnecting: {e}"));
                continue;
            }
        };
        let status = rollout_of(&deployment, &conn.versions).status;
        if status.phase == RolloutPhase::Degraded {
            return Err(KubeError::Other(status.message));
        }
        if status.message != last {
            print(&status.message);
            last = status.message.clone();
        }
        if status.done {
            return Ok(true);
        }
    }
    Err(KubeError::Other(format!("the watch on deployment {name:?} ended")))
}

/// The revisions, the current one marked `*`.
pub fn history_table(revisions: &[Revision], now: jiff::Timestamp) -> String {
    let mut table = Table::new(&["", "REVISION", "VERSION", "IMAGES", "READY", "AGE", "CHANGE-CAUSE"]);
    for r in revisions {
        table.row(vec![
            if r.current { "*" } else { "" }.to_owned(),
            r.number.to_string(),
            version_cell(&r.version),
            r.images.join(","),
            format!("{}/{}", r.ready, r.replicas),
            age(r.created, now),
            r.change_cause.as_deref().unwrap_or("<none>").to_owned(),
        ]);
    }
    let mut out = table.render();
    for r in revisions.iter().filter(|r| r.version.disagrees.is_some()) {
        let _ = writeln!(out, "! revision {} runs {}", r.number, r.version.describe("-"));
    }
    out
}

pub async fn history_of(conn: &Connection, name: &str, output: Output) -> Result<String, KubeError> {
    let deployment = rollouts::get(conn, name).await?;
    let current = rollout_of(&deployment, &conn.versions).revision;
    let revisions = history(current, &replica_sets(conn, &deployment).await?, &conn.versions);
    match output {
        Output::Json => json(&revisions),
        Output::Table => Ok(history_table(&revisions, cluster_now(conn).await)),
    }
}

pub fn sides_output(sides: &[crate::ops::bluegreen::Side], output: Output) -> String {
    if output == Output::Json {
        return serde_json::to_string_pretty(sides)
            .map(|s| s + "\n")
            .unwrap_or_default();
    }
    let mut table = Table::new(&["SERVICE", "SELECTOR", "RUNS", "READY", "PREVIOUS"]);
    for s in sides {
        table.row(vec![
            s.service.clone(),
            format!("version={}", s.selector_version.as_deref().unwrap_or("-")),
            version_cell(&s.runs),
            format!("{}/{}", s.ready, s.pods),
            s.previous.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut out = table.render();
    for s in sides.iter().filter(|s| s.runs.disagrees.is_some()) {
        let _ = writeln!(out, "! {}: its pods run {}", s.service, s.runs.describe("-"));
    }
    out
}

/// How a deployment's requests are split: stable, canary, shadow.
pub async fn canary_status(
    conn: &Connection,
    deployment: &str,
    settings: Option<&crate::config::settings::RolloutSettings>,
    output: Output,
) -> Result<String, crate::ops::OpsError> {
    let router = crate::ops::split::router_of(deployment, settings)?;
    let (_, split) = crate::ops::split::split(conn, router.as_ref()).await?;
    if output == Output::Json {
        return json(&split).map_err(crate::ops::OpsError::Kube);
    }
    let mut table = Table::new(&["SIDE", "BACKEND", "TRAFFIC", ""]).right(&[2]);
    table.row(vec![
        "stable".into(),
        split.stable_backend.clone(),
        format!("{}%", split.stable),
        String::new(),
    ]);
    table.row(vec![
        "canary".into(),
        split.canary_backend.clone(),
        format!("{}%", split.canary),
        String::new(),
    ]);
    // The backend the route mirrors to, as the route says; while nothing
    // is mirrored, the configured one `shadow on` would mirror to.
    let configured = settings.map(|s| s.shadow.as_str()).filter(|s| !s.is_empty());
    match (split.shadow, &split.shadow_backend) {
        (Some(percent), backend) => table.row(vec![
            "shadow".into(),
            backend.as_deref().unwrap_or("-").to_owned(),
            format!("{percent}%"),
            "mirrored, answers dropped".into(),
        ]),
        (None, _) => {
            if let Some(configured) = configured {
                table.row(vec![
                    "shadow".into(),
                    configured.to_owned(),
                    "0%".into(),
                    "configured, not mirroring".into(),
                ]);
            }
        }
    }
    let mut out = table.render();
    let _ = writeln!(out, "via {}", crate::ops::split::where_split(conn, router.as_ref()));
    Ok(out)
}
