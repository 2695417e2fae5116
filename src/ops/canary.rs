//! Canary traffic: set the canary's share to any percent, step it along the
//! ladder (5 → 10 → 25 → 50 → 100 by default), abort (0%), or promote:
//! all traffic to the canary, the stable backend pointed at the canary's
//! version, then all traffic back to the (now new) stable side — each step
//! leaving every request served by ready pods.

use serde_json::{Value, json};

use super::permission::Permission;
use super::split::{router_of, split, traffic_permission, where_split, writes_for};
use super::{Change, Operation, OpsError, Plan, PlanOrSkip};
use crate::backends::kube::routers::{Router, TrafficSplit};
use crate::backends::kube::{Connection, objects};
use crate::config::settings::{RolloutSettings, ladder_for};
use crate::text::Clean;

pub const SET: &str = "canary.set";
pub const STEP: &str = "canary.step";
pub const ABORT: &str = "canary.abort";
pub const PROMOTE: &str = "canary.promote";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Set(u32),
    Step,
    Abort,
    Promote,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Canary {
    pub deployment: String,
    /// The deployment's `[rollouts.NAME]` settings, if any.
    pub settings: Option<RolloutSettings>,
    /// The ladder for `Step` (the deployment's own, else `[canary]`'s).
    pub ladder: Vec<u32>,
    pub movement: Move,
}

impl Canary {
    /// A move of `deployment`'s canary, stepping along its own ladder when
    /// its settings name one, else along `default_ladder` (`[canary]`'s).
    pub fn new(deployment: &str, settings: Option<&RolloutSettings>, default_ladder: &[u32], movement: Move) -> Self {
        Canary {
            deployment: deployment.to_owned(),
            settings: settings.cloned(),
            ladder: ladder_for(settings, default_ladder).to_vec(),
            movement,
        }
    }
}

impl Canary {
    fn name(&self, conn: &Connection) -> String {
        format!("{}/{}", conn.namespace, self.deployment)
    }

    fn weights_plan(
        &self,
        conn: &Connection,
        router: &dyn Router,
        read: Vec<Value>,
        now: &TrafficSplit,
        to: u32,
    ) -> Result<PlanOrSkip, OpsError> {
        let name = self.name(conn);
        if to == now.canary {
            return Ok(PlanOrSkip::Skip(format!(
                "the canary of deployment {name} already gets {to}%"
            )));
        }
        let patches = router.set_canary(&read, to)?;
        let writes = writes_for(router, &read, patches);
        let (stable, canary) = (&now.stable_backend, &now.canary_backend);
        let achievable = router
            .achievable(&read, to)
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        Ok(PlanOrSkip::Plan(Box::new(Plan {
            summary: Clean::new(&format!(
                "set the canary of deployment {name} to {to}%{achievable} on {}: {stable} {}% -> {}%, {canary} {}% -> {to}%",
                where_split(conn, router),
                now.stable,
                100 - to,
                now.canary,
            )),
            changes: vec![Change::new(
                "canary weight",
                format!("{}%", now.canary),
                format!("{to}%"),
            )],
            before: json!({"stable": now.stable, "canary": now.canary}),
            after: json!({"stable": 100 - to, "canary": to}),
            read,
            writes,
        })))
    }

    /// Promote also writes the stable Deployment (its template) and the
    /// stable Service (its selector): each needs its own permission, asked
    /// before anything is written.
    fn promote_permissions(&self, namespace: &str) -> Vec<Permission> {
        if self.movement != Move::Promote {
            return Vec::new();
        }
        let mut all = vec![Permission::patch(&objects::DEPLOYMENT, namespace, &self.deployment)];
        if let Some(stable) = self
            .settings
            .as_ref()
            .map(|s| s.stable.clone())
            .filter(|s| !s.is_empty())
        {
            all.push(Permission::patch(&objects::SERVICE, namespace, &stable));
        }
        all
    }
}

pub use crate::domain::traffic::next_rung;

impl Operation for Canary {
    fn action(&self) -> &'static str {
        match self.movement {
            Move::Set(_) => SET,
            Move::Step => STEP,
            Move::Abort => ABORT,
            Move::Promote => PROMOTE,
        }
    }

    fn target(&self, conn: &Connection) -> String {
        format!("deployment/{}/{}", conn.namespace, self.deployment)
    }

    fn permission(&self, conn: &Connection) -> Permission {
        traffic_permission(conn, &self.deployment, self.settings.as_ref())
    }

    fn permissions(&self, conn: &Connection) -> Vec<Permission> {
        let mut all = vec![self.permission(conn)];
        all.extend(self.promote_permissions(&conn.namespace));
        all
    }

    async fn plan(&self, conn: &Connection) -> Result<PlanOrSkip, OpsError> {
        let router = router_of(&self.deployment, self.settings.as_ref())?;
        let (read, now) = split(conn, router.as_ref()).await?;
        let to = match self.movement {
            Move::Set(p) => p.min(100),
            Move::Abort => 0,
            Move::Step => match next_rung(&self.ladder, now.canary) {
                Some(p) => p,
                None => {
                    return Ok(PlanOrSkip::Skip(format!(
                        "the canary of deployment {} is at {}%, the top of the ladder {:?}; promote it to make it the stable side",
                        self.name(conn),
                        now.canary,
                        self.ladder
                    )));
                }
            },
            Move::Promote => return super::promote::plan(conn, &self.deployment, router.as_ref(), read, &now).await,
        };
        self.weights_plan(conn, router.as_ref(), read, &now, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promote_asks_for_the_stable_service_too() {
        let settings = RolloutSettings {
            route: "web".into(),
            stable: "web-blue".into(),
            canary: "web-green".into(),
            ..RolloutSettings::default()
        };
        let promote = Canary::new("web", Some(&settings), &[5, 50, 100], Move::Promote);
        let asked: Vec<String> = promote
            .promote_permissions("ml")
            .iter()
            .map(Permission::describe)
            .collect();
        assert_eq!(
            asked,
            [
                "patch deployments \"web\" in namespace \"ml\"",
                "patch services \"web-blue\" in namespace \"ml\""
            ]
        );
        // Moving weights writes the route only.
        let step = Canary::new("web", Some(&settings), &[5, 50, 100], Move::Step);
        assert!(step.promote_permissions("ml").is_empty());
    }
}
