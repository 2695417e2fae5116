//! Shadow traffic: mirror a percent of a deployment's requests to a shadow
//! version whose answers are dropped, and stop it — where the router can
//! mirror (Gateway API RequestMirror, Istio mirror).

use serde_json::json;

use super::permission::Permission;
use super::split::{router_of, split, traffic_permission, where_split, writes_for};
use super::{Change, Operation, OpsError, Plan, PlanOrSkip};
use crate::backends::kube::Connection;
use crate::config::settings::RolloutSettings;
use crate::text::Clean;

pub const ON: &str = "shadow.on";
pub const OFF: &str = "shadow.off";

#[derive(Debug, Clone, PartialEq)]
pub struct Shadow {
    pub deployment: String,
    pub settings: Option<RolloutSettings>,
    /// `None` stops mirroring.
    pub percent: Option<u32>,
}

impl Operation for Shadow {
    fn action(&self) -> &'static str {
        if self.percent.is_some() { ON } else { OFF }
    }

    fn target(&self, conn: &Connection) -> String {
        format!("deployment/{}/{}", conn.namespace, self.deployment)
    }

    fn permission(&self, conn: &Connection) -> Permission {
        traffic_permission(conn, &self.deployment, self.settings.as_ref())
    }

    async fn plan(&self, conn: &Connection) -> Result<PlanOrSkip, OpsError> {
        let router = router_of(&self.deployment, self.settings.as_ref())?;
        let (read, now) = split(conn, router.as_ref()).await?;
        let name = format!("{}/{}", conn.namespace, self.deployment);
        let backend = self.settings.as_ref().map(|s| s.shadow.clone()).unwrap_or_default();
        // A router that cannot mirror says so before anything else matters.
        router.set_shadow(&read, None)?;
        let (summary, patches) = match self.percent {
            Some(p) => {
                if backend.is_empty() {
                    return Err(OpsError::Refused(format!(
                        "no shadow backend is configured for deployment {name}: set shadow = \"SERVICE\" in [rollouts.{}]",
                        self.deployment
                    )));
                }
                if now.shadow == Some(p) {
                    return Ok(PlanOrSkip::Skip(format!(
                        "deployment {name} already mirrors {p}% to its shadow"
                    )));
                }
                let patches = router.set_shadow(&read, Some((&backend, p)))?;
                let summary = format!(
                    "mirror {p}% of the requests of deployment {name} to {backend} on {} (the shadow's answers are dropped)",
                    where_split(conn, router.as_ref())
                );
                (summary, patches)
            }
            None => {
                if now.shadow.is_none() {
                    return Ok(PlanOrSkip::Skip(format!(
                        "deployment {name} mirrors no traffic; nothing to stop"
                    )));
                }
                let patches = router.set_shadow(&read, None)?;
                (
                    format!(
                        "stop mirroring the requests of deployment {name} on {}",
                        where_split(conn, router.as_ref())
                    ),
                    patches,
                )
            }
        };
        let shown = |s: Option<u32>| s.map_or("off".to_owned(), |p| format!("{p}%"));
        Ok(PlanOrSkip::Plan(Box::new(Plan {
            summary: Clean::new(&summary),
            changes: vec![Change::new("shadow", shown(now.shadow), shown(self.percent))],
            before: json!({"shadow": now.shadow}),
            after: json!({"shadow": self.percent, "backend": backend}),
            writes: writes_for(router.as_ref(), &read, patches),
            read,
        })))
    }
}
