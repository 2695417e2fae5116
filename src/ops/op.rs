//! The one place a request (a key, a subcommand, a guard's action) becomes
//! the operation that carries it out, and what every action runs with.

use std::path::PathBuf;

use super::bluegreen::{BlueGreenSwitch, SwitchTo};
use super::canary::{Canary, Move};
use super::permission::Permission;
use super::rollback::Rollback;
use super::shadow::Shadow;
use super::{AuditLog, Operation, OpsContext, OpsError, PlanOrSkip, ReadOnlyRule};
use crate::backends::kube::{Connection, KubeTarget};
use crate::config::settings::TrafficSettings;
use crate::domain::operation::OpKind;

/// What every mutating action runs with, from the command line and the
/// settings: the cluster, the read-only rule, the operations' settings,
/// the audit log and the operator's login. The CLI, the console and the
/// guard all start from one.
#[derive(Debug, Clone, Default)]
pub struct OpsConfig {
    pub target: KubeTarget,
    pub readonly: ReadOnlyRule,
    pub settings: TrafficSettings,
    pub audit: PathBuf,
    pub login: String,
}

impl OpsConfig {
    /// What actions on `conn` run with: its context's read-only rule, the
    /// audit log, the operator's login.
    pub fn context(&self, conn: Connection) -> OpsContext {
        OpsContext {
            readonly: self.readonly.reason(&conn.context),
            audit: AuditLog::new(self.audit.clone()),
            login: self.login.clone(),
            reason: None,
            conn,
        }
    }
}

/// Every operation a request can stand for.
#[derive(Debug, Clone)]
pub enum RolloutOp {
    Rollback(Rollback),
    Canary(Canary),
    Shadow(Shadow),
    BlueGreen(BlueGreenSwitch),
}

impl RolloutOp {
    /// The operation `kind` on `deployment` (blue-green acts on the
    /// Service `kind` names), shaped by `settings`.
    pub fn new(kind: &OpKind, deployment: &str, settings: &TrafficSettings) -> RolloutOp {
        let traffic = settings.rollouts.get(deployment);
        let canary = |movement| RolloutOp::Canary(Canary::new(deployment, traffic, &settings.ladder, movement));
        let shadow = |percent| {
            RolloutOp::Shadow(Shadow {
                deployment: deployment.to_owned(),
                settings: traffic.cloned(),
                percent,
            })
        };
        match kind {
            OpKind::Rollback(to) => RolloutOp::Rollback(Rollback {
                deployment: deployment.to_owned(),
                to_revision: *to,
                traffic: traffic.cloned(),
            }),
            OpKind::CanarySet(p) => canary(Move::Set(*p)),
            OpKind::CanaryStep => canary(Move::Step),
            OpKind::CanaryAbort => canary(Move::Abort),
            OpKind::CanaryPromote => canary(Move::Promote),
            OpKind::ShadowOn(p) => shadow(Some(*p)),
            OpKind::ShadowOff => shadow(None),
            OpKind::BlueGreenSwitch { service, version } => RolloutOp::BlueGreen(BlueGreenSwitch {
                service: service.clone(),
                to: SwitchTo::Version(version.clone()),
            }),
            OpKind::BlueGreenBack { service } => RolloutOp::BlueGreen(BlueGreenSwitch {
                service: service.clone(),
                to: SwitchTo::Back,
            }),
        }
    }

    fn inner(&self) -> &dyn OperationInfo {
        match self {
            RolloutOp::Rollback(op) => op,
            RolloutOp::Canary(op) => op,
            RolloutOp::Shadow(op) => op,
            RolloutOp::BlueGreen(op) => op,
        }
    }
}

/// The object-safe half of [`Operation`], so `RolloutOp` delegates once.
trait OperationInfo {
    fn action(&self) -> &'static str;
    fn target(&self, conn: &Connection) -> String;
    fn permission(&self, conn: &Connection) -> Permission;
    fn permissions(&self, conn: &Connection) -> Vec<Permission>;
}

impl<O: Operation> OperationInfo for O {
    fn action(&self) -> &'static str {
        Operation::action(self)
    }
    fn target(&self, conn: &Connection) -> String {
        Operation::target(self, conn)
    }
    fn permission(&self, conn: &Connection) -> Permission {
        Operation::permission(self, conn)
    }
    fn permissions(&self, conn: &Connection) -> Vec<Permission> {
        Operation::permissions(self, conn)
    }
}

impl Operation for RolloutOp {
    fn action(&self) -> &'static str {
        self.inner().action()
    }
    fn target(&self, conn: &Connection) -> String {
        self.inner().target(conn)
    }
    fn permission(&self, conn: &Connection) -> Permission {
        self.inner().permission(conn)
    }
    fn permissions(&self, conn: &Connection) -> Vec<Permission> {
        self.inner().permissions(conn)
    }
    async fn plan(&self, conn: &Connection) -> Result<PlanOrSkip, OpsError> {
        match self {
            RolloutOp::Rollback(op) => op.plan(conn).await,
            RolloutOp::Canary(op) => op.plan(conn).await,
            RolloutOp::Shadow(op) => op.plan(conn).await,
            RolloutOp::BlueGreen(op) => op.plan(conn).await,
        }
    }
}
