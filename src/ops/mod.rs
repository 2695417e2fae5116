//! Every mutating action, for the console and the CLI alike, and the one
//! place their safety is enforced: read-only mode, a permission check
//! before anything is written, a plan that names exactly what will change
//! (for the confirmation), optimistic concurrency on the write, and an
//! audit line, synced to disk, for every attempt however it ends.
//!
//! Two steps, so the console can show the plan in a dialog between them:
//! [`prepare`] (checks and plan, no writes) and [`execute`] (the write).

pub mod audit;
pub mod bluegreen;
pub mod canary;
pub mod guard;
pub mod op;
pub mod permission;
pub mod promote;
pub mod rollback;
pub mod shadow;
pub mod split;

use std::future::Future;

use serde_json::Value;

pub use audit::AuditLog;
use permission::Permission;

use crate::backends::kube::objects::{self, Kind};
use crate::backends::kube::writes::changed_fields;
use crate::backends::kube::{Connection, KubeError};
use crate::domain::AuditEntry;
use crate::text::Clean;

/// Every mutating action, by its audit name. Tests walk this list to prove
/// each one is refused in read-only mode.
pub const ACTIONS: &[&str] = &[
    rollback::ACTION,
    bluegreen::ACTION,
    canary::SET,
    canary::STEP,
    canary::ABORT,
    canary::PROMOTE,
    shadow::ON,
    shadow::OFF,
];

/// Where writes are refused: everywhere (with why), or in named contexts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOnlyRule {
    /// Why writes are refused everywhere (`--readonly`, settings), if so.
    pub everywhere: Option<String>,
    /// Contexts whose writes are refused (`contexts.NAME.readonly`).
    pub contexts: Vec<String>,
}

impl ReadOnlyRule {
    /// Why writes are refused in `context`, if they are.
    pub fn reason(&self, context: &str) -> Option<String> {
        self.everywhere.clone().or_else(|| {
            self.contexts
                .iter()
                .any(|c| c == context)
                .then(|| format!("context {context:?} is read-only (contexts.{context}.readonly in the configuration)"))
        })
    }
}

/// What an operation needs around it.
#[derive(Debug, Clone)]
pub struct OpsContext {
    pub conn: Connection,
    /// Why writes are refused, when they are (`--readonly`, a read-only
    /// context in the settings).
    pub readonly: Option<String>,
    pub audit: AuditLog,
    /// The operator's login, for the audit log.
    pub login: String,
    /// Why the action runs, when no operator pressed a key (the guard).
    pub reason: Option<String>,
}

/// What will change, for the confirmation and the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// One sentence naming the object and the change (it names what the
    /// cluster holds, so it is cleaned to be drawn or printed).
    pub summary: Clean,
    /// Field by field.
    pub changes: Vec<Change>,
    pub before: Value,
    pub after: Value,
    /// The objects as read, to say what changed if a write conflicts.
    pub read: Vec<Value>,
    /// The writes, in order, each carrying the resourceVersion that was
    /// read, so a concurrent change is a 409.
    pub writes: Vec<Write>,
}

/// One field a plan changes: what, from, to, cleaned.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub what: Clean,
    pub from: Clean,
    pub to: Clean,
}

impl Change {
    pub fn new(what: impl AsRef<str>, from: impl AsRef<str>, to: impl AsRef<str>) -> Change {
        Change {
            what: Clean::new(what.as_ref()),
            from: Clean::new(from.as_ref()),
            to: Clean::new(to.as_ref()),
        }
    }
}

/// A JSON Patch (RFC 6902) on one object. Every patch ends by setting the
/// resourceVersion that was read, so the server refuses it (409) if the
/// object moved since.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub kind: Kind,
    pub name: String,
    pub patch: Value,
    /// A Deployment to wait for, after this write, until it has rolled
    /// out (as `kubectl rollout status` says), before the next write: a
    /// promotion moves traffic only once the new pods serve.
    pub then_wait_for: Option<String>,
}

impl Write {
    pub fn new(kind: Kind, name: &str, patch: Value) -> Write {
        Write {
            kind,
            name: name.to_owned(),
            patch,
            then_wait_for: None,
        }
    }
}

/// Longest wait for a Deployment to roll out within a plan, beyond its own
/// progress deadline (which marks it Degraded and ends the wait sooner).
const ROLL_OUT_LIMIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A change that was planned and may be confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub action: &'static str,
    pub target: String,
    /// Where the writes go.
    pub namespace: String,
    pub plan: Plan,
}

/// What preparing found, once every check passed: a change to confirm,
/// or that there is nothing to do, and why (audited as skipped).
#[derive(Debug, Clone, PartialEq)]
pub enum Ready {
    Confirm(Box<Prepared>),
    Skipped(String),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpsError {
    #[error("refused: {0}")]
    ReadOnly(String),
    #[error("refused: {0}")]
    Forbidden(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    NotFound(String),
    #[error("cancelled: {0}")]
    Cancelled(String),
    #[error("{what} changed since it was read, so nothing was written: {changed}; review and try again")]
    Conflict { what: String, changed: String },
    #[error("{0}")]
    Split(#[from] crate::domain::traffic::SplitError),
    #[error("{0}")]
    Kube(#[from] KubeError),
    #[error("{0}")]
    Audit(#[from] audit::AuditWriteError),
}

/// A mutating action.
pub trait Operation: Send + Sync {
    /// The audit name, one of [`ACTIONS`].
    fn action(&self) -> &'static str;
    /// The object acted on, as `kind/namespace/name`.
    fn target(&self, conn: &Connection) -> String;
    fn permission(&self, conn: &Connection) -> Permission;
    /// Every permission the writes need, the main one first; an operation
    /// that writes more than one kind of object names each.
    fn permissions(&self, conn: &Connection) -> Vec<Permission> {
        vec![self.permission(conn)]
    }
    /// Reads what is there and decides what to write. No writes.
    fn plan(&self, conn: &Connection) -> impl Future<Output = Result<PlanOrSkip, OpsError>> + Send;
}

pub enum PlanOrSkip {
    Plan(Box<Plan>),
    Skip(String),
}

/// Checks read-only mode and permission, then plans. Refusals and skips are
/// audited here; a plan is audited when it is executed or declined.
pub async fn prepare<O: Operation>(ctx: &OpsContext, op: &O) -> Result<Ready, OpsError> {
    let action = op.action();
    let target = op.target(&ctx.conn);
    let refuse = async |error: OpsError| {
        record(ctx, action, &target, &Value::Null, &Value::Null, &error.to_string()).await?;
        Err(error)
    };
    if let Some(reason) = &ctx.readonly {
        return refuse(OpsError::ReadOnly(format!(
            "{reason}; {action} on {target} not attempted"
        )))
        .await;
    }
    for permission in op.permissions(&ctx.conn) {
        match permission::check(&ctx.conn, &permission).await {
            Ok(None) => {}
            Ok(Some(reason)) => return refuse(OpsError::Forbidden(reason)).await,
            Err(e) => return refuse(e.into()).await,
        }
    }
    match op.plan(&ctx.conn).await {
        Ok(PlanOrSkip::Plan(plan)) => Ok(Ready::Confirm(Box::new(Prepared {
            action,
            target,
            namespace: ctx.conn.namespace.clone(),
            plan: *plan,
        }))),
        Ok(PlanOrSkip::Skip(why)) => {
            record(
                ctx,
                action,
                &target,
                &Value::Null,
                &Value::Null,
                &format!("skipped: {why}"),
            )
            .await?;
            Ok(Ready::Skipped(why))
        }
        Err(e) => refuse(e).await,
    }
}

/// The operator said no: nothing is written, the attempt is audited.
pub async fn decline(ctx: &OpsContext, prepared: &Prepared) -> OpsError {
    let error = OpsError::Cancelled(prepared.plan.summary.to_string());
    if let Err(e) = record(
        ctx,
        prepared.action,
        &prepared.target,
        &prepared.plan.before,
        &prepared.plan.after,
        "cancelled",
    )
    .await
    {
        return e;
    }
    error
}

/// Writes the planned change and audits the outcome; the plan's summary
/// when it is done. (Nothing to do is found by [`prepare`], not here.)
pub async fn execute(ctx: &OpsContext, prepared: Prepared) -> Result<String, OpsError> {
    let Prepared {
        action, target, plan, ..
    } = prepared;
    let result = write(&ctx.conn, &plan).await;
    let outcome = match &result {
        Ok(()) => "done".to_owned(),
        Err(e) => format!("failed: {e}"),
    };
    record(ctx, action, &target, &plan.before, &plan.after, &outcome).await?;
    result.map(|()| plan.summary.into())
}

/// Sends the plan's patches in order. A later patch of an object written
/// earlier in the plan is conditioned on the version that write produced.
/// On a conflict, re-reads the object and says which fields someone else
/// changed; a failure after some steps says which were done.
async fn write(conn: &Connection, plan: &Plan) -> Result<(), OpsError> {
    let mut written: Vec<(Kind, String, Value)> = Vec::new();
    for (step, w) in plan.writes.iter().enumerate() {
        let mut patch = w.patch.clone();
        if let Some((_, _, version)) = written.iter().rev().find(|(k, n, _)| *k == w.kind && *n == w.name)
            && let Some(last) = patch.as_array_mut().and_then(|ops| ops.last_mut())
            && last["path"] == "/metadata/resourceVersion"
        {
            last["value"] = version.clone();
        }
        let done = match write_one(conn, plan, w, &patch).await {
            Ok(object) => {
                written.push((w.kind, w.name.clone(), object["metadata"]["resourceVersion"].clone()));
                match &w.then_wait_for {
                    Some(deployment) => rolled_out(conn, deployment).await,
                    None => Ok(()),
                }
            }
            Err(e) => Err(e),
        };
        match done {
            Ok(()) => {}
            Err(e) if step > 0 || w.then_wait_for.is_some() => {
                let finished = step + usize::from(written.len() > step);
                return Err(OpsError::Refused(format!(
                    "{e} (after {finished} of {} steps were done)",
                    plan.writes.len()
                )));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Waits until `deployment` has rolled out its newest spec; an error once
/// it is past its progress deadline, or past [`ROLL_OUT_LIMIT`].
async fn rolled_out(conn: &Connection, deployment: &str) -> Result<(), OpsError> {
    use crate::backends::kube::rollouts;
    use crate::domain::rollout::RolloutPhase;
    let deadline = tokio::time::Instant::now() + ROLL_OUT_LIMIT;
    loop {
        let status = crate::backends::kube::status::rollout_status(&rollouts::get(conn, deployment).await?);
        if status.done {
            return Ok(());
        }
        if status.phase == RolloutPhase::Degraded || tokio::time::Instant::now() > deadline {
            return Err(OpsError::Refused(format!(
                "deployment {}/{deployment} did not roll out: {}",
                conn.namespace, status.message
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

async fn write_one(conn: &Connection, plan: &Plan, w: &Write, patch: &Value) -> Result<Value, OpsError> {
    let Write { kind, name, .. } = w;
    let conflict = match objects::json_patch(conn, *kind, name, patch).await {
        Ok(object) => return Ok(object),
        Err(e) if e.is_conflict() => e,
        Err(e) => return Err(e.into()),
    };
    let now = objects::get(conn, *kind, name).await?;
    let read = plan
        .read
        .iter()
        .find(|r| r["kind"] == kind.kind && r["metadata"]["name"] == name.as_str());
    let mut changed = changed_fields(read.unwrap_or(&Value::Null), &now);
    if changed.is_empty() {
        // Only status and server bookkeeping moved (a controller reported
        // progress): what the operator decided on still holds, so the
        // write goes again once, conditioned on the version just read.
        let mut again = patch.clone();
        if let Some(last) = again.as_array_mut().and_then(|ops| ops.last_mut())
            && last["path"] == "/metadata/resourceVersion"
        {
            last["value"] = now["metadata"]["resourceVersion"].clone();
            match objects::json_patch(conn, *kind, name, &again).await {
                Ok(object) => return Ok(object),
                Err(e) if e.is_conflict() => changed.push("it changed again while being written".into()),
                Err(e) => return Err(e.into()),
            }
        } else {
            return Err(conflict.into());
        }
    }
    changed.truncate(5);
    Err(OpsError::Conflict {
        what: format!("{} {}/{name}", kind.noun(), conn.namespace),
        changed: changed.join("; "),
    })
}

/// The operation that makes every patch conditional on the version read.
pub fn precondition(read: &Value) -> Value {
    serde_json::json!({"op": "replace", "path": "/metadata/resourceVersion", "value": read["metadata"]["resourceVersion"]})
}

async fn record(
    ctx: &OpsContext,
    action: &str,
    target: &str,
    before: &Value,
    after: &Value,
    outcome: &str,
) -> Result<(), OpsError> {
    let entry = AuditEntry {
        time: jiff::Timestamp::now(),
        user: ctx.conn.user.clone(),
        login: ctx.login.clone(),
        context: ctx.conn.context.clone(),
        action: action.to_owned(),
        target: target.to_owned(),
        before: before.clone(),
        after: after.clone(),
        outcome: outcome.to_owned(),
        reason: ctx.reason.clone().unwrap_or_default(),
    };
    ctx.audit.write(entry).await.map_err(OpsError::Audit)
}
