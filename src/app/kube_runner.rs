//! The console's cluster work: it holds the connection and the rollouts
//! watch, reads a rollout's detail, and runs operations through `ops` —
//! the same code the CLI uses. Answers go back as actions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::Action;
use super::action::{KubeAction, KubeEffect};
use super::cluster_reads::{KubeInfo, RolloutDetail};
use super::rollout_keys::KEY_OPS;
use crate::backends::kube::history::{history, replica_sets};
use crate::backends::kube::rollouts::{self, rollout_of};
use crate::backends::kube::watch::watch_cluster;
use crate::backends::kube::{Connection, KubeTarget, connect, pods};
use crate::domain::operation::{OpKind, OpRequest};
use crate::ops::op::{OpsConfig, RolloutOp};
use crate::ops::{self, Operation, OpsContext, permission};
use crate::text::Clean;

struct Session {
    ctx: OpsContext,
    watch: JoinHandle<()>,
}

/// How long the actions a rollout's detail marks as denied are trusted
/// before the API server is asked again. The detail is read on every watch
/// change; RBAC rarely changes, and the action itself always asks afresh
/// (`ops::prepare`), so a stale answer can only mislabel a key.
const DENIED_FRESH_FOR: Duration = Duration::from_secs(30);

/// Denied actions per (context, namespace, deployment), and when asked.
type DeniedCache = HashMap<(String, String, String), (Instant, Vec<(OpKind, String)>)>;

pub struct KubeRunner {
    config: OpsConfig,
    session: Mutex<Option<Session>>,
    denied: Mutex<DeniedCache>,
}

impl Drop for KubeRunner {
    fn drop(&mut self) {
        if let Ok(Some(session)) = self.session.get_mut().map(Option::take) {
            session.watch.abort();
        }
    }
}

impl KubeRunner {
    pub fn new(config: OpsConfig) -> KubeRunner {
        KubeRunner {
            config,
            session: Mutex::new(None),
            denied: Mutex::new(HashMap::new()),
        }
    }

    fn ctx(&self) -> Result<OpsContext, String> {
        let session = self
            .session
            .lock()
            .map_err(|_| "the cluster session is unusable".to_owned())?;
        session
            .as_ref()
            .map(|s| s.ctx.clone())
            .ok_or_else(|| "not connected to a cluster".to_owned())
    }

    /// The session's context acting in `namespace` (all-namespaces mode
    /// acts on each rollout where it lives).
    fn ctx_in(&self, namespace: &str) -> Result<OpsContext, String> {
        let mut ctx = self.ctx()?;
        ctx.conn = ctx.conn.in_namespace(namespace);
        Ok(ctx)
    }

    pub async fn perform(&self, effect: KubeEffect, answers: UnboundedSender<Action>) {
        let answer = match effect {
            KubeEffect::Connect {
                generation,
                context,
                namespace,
            } => {
                let result = self.connect(generation, context, namespace, answers.clone()).await;
                KubeAction::Connected { generation, result }
            }
            KubeEffect::LoadDetail {
                generation,
                namespace,
                deployment,
                traffic_owner,
            } => {
                let result = match self.ctx_in(&namespace) {
                    Ok(ctx) => self.detail(&ctx, &deployment, &traffic_owner).await,
                    Err(e) => Err(e),
                };
                KubeAction::Detail { generation, result }
            }
            KubeEffect::Prepare(request) => KubeAction::Prepared(match self.ctx_in(&request.namespace) {
                Ok(ctx) => self.prepare(&ctx, &request).await,
                Err(e) => Err(e),
            }),
            KubeEffect::Execute(prepared) => KubeAction::Finished(match self.ctx_in(&prepared.namespace) {
                Ok(ctx) => ops::execute(&ctx, prepared).await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            }),
            KubeEffect::Decline(prepared) => KubeAction::Finished(match self.ctx_in(&prepared.namespace) {
                Ok(ctx) => Err(ops::decline(&ctx, &prepared).await.to_string()),
                Err(e) => Err(e),
            }),
        };
        // The console may have quit meanwhile: then nobody needs the answer.
        let _ = answers.send(Action::Kube(answer));
    }

    async fn connect(
        &self,
        generation: u64,
        context: Option<String>,
        namespace: Option<String>,
        answers: UnboundedSender<Action>,
    ) -> Result<KubeInfo, String> {
        let target = KubeTarget {
            kubeconfig: self.config.target.kubeconfig.clone(),
            context: context.or_else(|| self.config.target.context.clone()),
            namespace: namespace.or_else(|| self.config.target.namespace.clone()),
            timeout: self.config.target.timeout,
            versions: self.config.target.versions.clone(),
        };
        let conn = connect(&target).await.map_err(|e| e.to_string())?;
        // Another cluster or user may be allowed other things.
        if let Ok(mut cache) = self.denied.lock() {
            cache.clear();
        }
        let readonly = self.config.readonly.reason(&conn.context);
        let info = KubeInfo {
            context: Clean::new(&conn.context),
            namespace: Clean::new(&conn.namespace),
            server: Clean::new(&conn.server),
            user: Clean::new(&conn.user),
            readonly: readonly.clone(),
            all_namespaces: conn.all_namespaces,
            contexts: conn.contexts.iter().map(|c| Clean::new(c)).collect(),
            namespaces: conn
                .namespaces()
                .await
                .map(|all| all.iter().map(|n| Clean::new(n)).collect()),
        };
        let plan = self.config.settings.clone();
        // Snapshots carry the connection's generation: a late one from the
        // watch of the namespace left with :ns is dropped.
        let watch = watch_cluster(&conn, plan, move |snapshot| {
            answers
                .send(Action::Kube(KubeAction::Snapshot {
                    generation,
                    result: snapshot.map_err(|e| e.to_string()),
                }))
                .is_ok()
        });
        let ctx = self.config.context(conn);
        let old = self
            .session
            .lock()
            .map_err(|_| "the cluster session is unusable".to_owned())?
            .replace(Session { ctx, watch });
        if let Some(old) = old {
            old.watch.abort();
        }
        Ok(info)
    }

    async fn detail(&self, ctx: &OpsContext, name: &str, traffic_owner: &str) -> Result<RolloutDetail, String> {
        let conn = &ctx.conn;
        let deployment = rollouts::get(conn, name).await.map_err(|e| e.to_string())?;
        let rollout = rollout_of(&deployment, &conn.versions);
        let local = jiff::Timestamp::now();
        let (sets, pods, server) = tokio::join!(
            replica_sets(conn, &deployment),
            pods::pods(conn, &deployment),
            crate::backends::kube::clock::server_now(conn)
        );
        let sets = sets.map_err(|e| e.to_string())?;
        let pods = pods.map_err(|e| e.to_string())?;
        // Services for the same pods, whatever version they point to.
        let labels = deployment
            .spec
            .as_ref()
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let services = crate::ops::bluegreen::sides(conn)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|side| !side.selects.is_empty() && side.selects.iter().all(|(k, v)| labels.get(k) == Some(v)))
            .collect();
        let mut detail = RolloutDetail {
            services,
            namespace: conn.namespace.clone(),
            name: name.to_owned(),
            clock_skew: server.map(|s| s.as_second() - local.as_second()),
            ..RolloutDetail::default()
        };
        let back = detail
            .switch_back_target(rollout.version.name.as_deref())
            .map(str::to_owned);
        let denied = self.denied(conn, name, traffic_owner, back).await;
        detail.revisions = history(rollout.revision, &sets, &conn.versions);
        detail.pods = pods;
        detail.denied = denied;
        Ok(detail)
    }

    /// The rollout's actions the API server would refuse, with why; asked
    /// anew when the cached answer is older than [`DENIED_FRESH_FOR`].
    async fn denied(
        &self,
        conn: &Connection,
        name: &str,
        traffic_owner: &str,
        switch_back: Option<String>,
    ) -> Vec<(OpKind, String)> {
        let key = (conn.context.clone(), conn.namespace.clone(), name.to_owned());
        if let Ok(cache) = self.denied.lock()
            && let Some((asked, denied)) = cache.get(&key)
            && asked.elapsed() < DENIED_FRESH_FOR
        {
            return denied.clone();
        }
        let mut denied = Vec::new();
        // What each of the Rollouts keys would do here.
        let kinds = KEY_OPS.iter().filter_map(|(_, kind, _)| match kind {
            OpKind::BlueGreenBack { .. } => switch_back.clone().map(|service| OpKind::BlueGreenBack { service }),
            kind => Some(kind.clone()),
        });
        for kind in kinds {
            // Traffic keys act on the rollout the row serves.
            let deployment = if kind.moves_traffic() { traffic_owner } else { name };
            let permissions = self
                .operation(&OpRequest {
                    kind: kind.clone(),
                    namespace: conn.namespace.clone(),
                    deployment: deployment.to_owned(),
                })
                .permissions(conn);
            for permission in permissions {
                if let Ok(Some(reason)) = permission::check(conn, &permission).await {
                    denied.push((kind.clone(), reason));
                    break;
                }
            }
        }
        if let Ok(mut cache) = self.denied.lock() {
            cache.insert(key, (Instant::now(), denied.clone()));
        }
        denied
    }

    /// The operation a request stands for.
    fn operation(&self, request: &OpRequest) -> RolloutOp {
        RolloutOp::new(&request.kind, &request.deployment, &self.config.settings)
    }

    async fn prepare(&self, ctx: &OpsContext, request: &OpRequest) -> Result<ops::Ready, String> {
        ops::prepare(ctx, &self.operation(request))
            .await
            .map_err(|e| e.to_string())
    }
}

/// Shared by the effect runner's tasks.
pub type SharedKubeRunner = Arc<KubeRunner>;
