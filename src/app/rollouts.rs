//! The Rollouts view's state and its part of `update`: a live list fed by
//! a watch, the selected rollout's detail, and mutating actions that go
//! through `ops` in two steps with a confirmation in between.

use super::action::{Effect, KubeAction, KubeEffect};
use super::cluster_reads::{KubeInfo, RolloutDetail};
use super::list_cursor::ListCursor;
use super::resource::{Load, Resource};
use super::screen::{Mode, Pane};
use super::shared::Level;
use super::shared::{Session, Shared};
use crate::domain::RegistryLoad;
use crate::domain::operation::{OpKind, OpRequest};
use crate::domain::rollout::{ClusterState, Rollout, RolloutKey};
use crate::domain::traffic::{Role, Traffic};
use crate::ops::{Prepared, Ready};
use crate::text::Clean;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RolloutsState {
    pub kube: Resource<KubeInfo>,
    pub list: Resource<Vec<Rollout>>,
    /// Each configured rollout's traffic, from the watch of its router's
    /// objects: the one source of the weights every row and pane shows.
    pub traffic: std::collections::BTreeMap<RolloutKey, Traffic>,
    /// What each Deployment is to a configured rollout (its canary, its
    /// shadow), so a key pressed on it acts on that rollout.
    pub roles: std::collections::BTreeMap<RolloutKey, Role>,
    /// The Services the watch sees, by (namespace, name).
    pub services: Vec<RolloutKey>,
    /// Changes whenever any Service does.
    pub services_changed: u64,
    /// The list changed what the detail shows while another view was
    /// shown: it is read when Rollouts opens.
    pub detail_outdated: bool,
    /// The watch failing while its data is kept (stale, not blank).
    pub stale: super::outage::Outage,
    pub cursor: ListCursor,
    pub focus: Pane,
    /// Lines scrolled off the top of the detail pane.
    pub detail_scroll: u16,
    /// The detail pane takes the whole view (`enter`; `esc` goes back).
    pub detail_full: bool,
    pub detail: Resource<RolloutDetail>,
    /// A planned change waiting for the operator's yes or no.
    pub pending: Option<Prepared>,
    /// An action on its way (planning or writing), for the status line.
    pub busy: Option<Clean>,
}

impl RolloutsState {
    /// Indexes of the rollouts that pass the filter.
    pub fn rows(&self) -> Vec<usize> {
        let Some(list) = self.list.loaded() else {
            return Vec::new();
        };
        (0..list.len())
            .filter(|&i| {
                let r = &list[i];
                self.cursor
                    .matches([r.name.as_str(), r.version.name.as_deref().unwrap_or_default()])
            })
            .collect()
    }

    pub fn selected(&self) -> Option<&Rollout> {
        let rows = self.rows();
        let i = *rows.get(self.cursor.selected)?;
        self.list.loaded()?.get(i)
    }

    /// What the selected rollout's detail is read from, as the list knows
    /// it; the detail is read again when it changes.
    fn detail_inputs(&self) -> Option<DetailInputs> {
        let r = self.selected()?;
        Some(DetailInputs {
            key: r.key(),
            row: r.clone(),
            traffic: self.traffic_of(r).map(|(_, t)| t.clone()),
            roles: self.roles.clone(),
            services_changed: self.services_changed,
        })
    }

    /// The selected rollout as (namespace, name): with every namespace
    /// listed, the name alone does not say which one.
    pub fn selected_key(&self) -> Option<(String, String)> {
        self.selected().map(Rollout::key)
    }

    /// The traffic that `rollout`'s row concerns: its own, or that of the
    /// rollout it is the canary, shadow or stable side of.
    pub fn traffic_of<'a>(&'a self, rollout: &'a Rollout) -> Option<(&'a str, &'a Traffic)> {
        let key = rollout.key();
        if let Some(traffic) = self.traffic.get(&key) {
            return Some((rollout.name.as_str(), traffic));
        }
        let role = self.roles.get(&key)?;
        let traffic = self
            .traffic
            .get(&(rollout.namespace.to_string(), role.rollout.clone()))?;
        Some((role.rollout.as_str(), traffic))
    }

    /// The Deployment `kind` acts on from `row`: the row itself, or for
    /// traffic the rollout it is the canary or shadow of.
    pub fn target(&self, row: &Rollout, kind: &OpKind) -> String {
        if kind.moves_traffic()
            && let Some((owner, _)) = self.traffic_of(row)
        {
            return owner.to_owned();
        }
        row.name.to_string()
    }

    pub fn role_of(&self, rollout: &Rollout) -> Option<&Role> {
        self.roles.get(&rollout.key())
    }

    /// Whether the detail shown, or on its way, is the selected rollout's.
    pub fn detail_is_current(&self) -> bool {
        if self.detail_outdated {
            return false;
        }
        let key = self.selected_key();
        match &self.detail.load {
            Load::Loaded(d) => key == Some((d.namespace.clone(), d.name.clone())),
            Load::Loading => self.detail.is_in_flight(),
            _ => false,
        }
    }
}

/// The selected rollout's key and row, its traffic, the roles and the
/// Services, as the list knows them.
#[derive(PartialEq)]
struct DetailInputs {
    key: RolloutKey,
    row: Rollout,
    traffic: Option<Traffic>,
    roles: std::collections::BTreeMap<RolloutKey, Role>,
    services_changed: u64,
}

/// Connects (or reconnects, after `:ctx`/`:ns`): everything read from the
/// old connection is dropped, answers still on their way are stale.
pub fn connect(r: &mut RolloutsState, session: &Session) -> Vec<Effect> {
    r.list.invalidate();
    r.detail.invalidate();
    r.stale.clear();
    r.pending = None;
    r.kube
        .request()
        .map(|generation| connect_effect(session, generation))
        .into_iter()
        .collect()
}

fn connect_effect(session: &Session, generation: u64) -> Effect {
    Effect::Kube(KubeEffect::Connect {
        generation,
        context: session.context.as_ref().map(|c| c.to_string()),
        namespace: Some(session.namespace.to_string()).filter(|_| session.namespace_set),
    })
}

fn load_detail(r: &mut RolloutsState) -> Vec<Effect> {
    if r.selected().is_none() {
        return Vec::new();
    }
    r.detail_outdated = false;
    r.detail
        .request()
        .map(|generation| detail_effect(r, generation))
        .unwrap_or_default()
}

/// A read of the selected rollout's detail, tagged `generation`.
fn detail_effect(rollouts: &RolloutsState, generation: u64) -> Vec<Effect> {
    rollouts
        .selected()
        .map(|r| {
            Effect::Kube(KubeEffect::LoadDetail {
                generation,
                namespace: r.namespace.to_string(),
                deployment: r.name.to_string(),
                traffic_owner: rollouts.target(r, &OpKind::CanaryStep),
            })
        })
        .into_iter()
        .collect()
}

/// The rollouts view's keys: one of the mutating actions on the selection.
pub fn request(r: &mut RolloutsState, shared: &mut Shared, kind: OpKind, what: &str) -> Vec<Effect> {
    if r.busy.is_some() {
        shared.set_status(Level::Warn, "another action is still running");
        return Vec::new();
    }
    let Some((namespace, name)) = r
        .selected()
        .map(|row| (row.namespace.to_string(), r.target(row, &kind)))
    else {
        shared.set_status(Level::Warn, "no rollout selected");
        return Vec::new();
    };
    r.busy = Some(Clean::new(&format!("planning {what} of {namespace}/{name}")));
    vec![Effect::Kube(KubeEffect::Prepare(OpRequest {
        kind,
        namespace,
        deployment: name,
    }))]
}

/// Answers from the cluster and the operator's yes/no.
pub fn update(r: &mut RolloutsState, shared: &mut Shared, action: KubeAction) -> Vec<Effect> {
    match action {
        KubeAction::Connected { generation, result } => {
            if let Ok(info) = &result {
                shared.session.context = Some(info.context.clone());
                shared.session.namespace = if info.all_namespaces {
                    crate::backends::kube::client::ALL_NAMESPACES.into()
                } else {
                    info.namespace.clone()
                };
                shared.session.readonly |= info.readonly.is_some();
            }
            // A reconnect asked for meanwhile (:ns, :ctx) goes now.
            if let Some(again) = r.kube.receive(generation, result) {
                return vec![connect_effect(shared.session, again)];
            }
            if r.kube.loaded().is_some() {
                r.list.request();
            }
            Vec::new()
        }
        KubeAction::Snapshot { generation, result } => {
            // Only the watch of the current connection speaks for the list.
            if generation != r.kube.generation() {
                return Vec::new();
            }
            match result {
                Ok(ClusterState {
                    rollouts: list,
                    traffic,
                    roles,
                    services,
                    services_changed,
                }) => {
                    let before = r.detail_inputs();
                    if r.stale.clear() {
                        shared.note(Level::Info, "the cluster answers again; the list is current");
                    }
                    r.traffic = traffic;
                    r.roles = roles;
                    r.services = services;
                    r.services_changed = services_changed;
                    let len = list.len();
                    // The watch answers for the connection it was started on.
                    if r.list.is_in_flight() {
                        let generation = r.list.generation();
                        r.list.receive(generation, Ok(list));
                    } else {
                        r.list.load = Load::Loaded(list);
                    }
                    r.cursor.clamp(len);
                    // The detail is read again only when what it shows may
                    // have changed: under a stream of changes elsewhere in
                    // the namespace it is not read once per snapshot.
                    let now = r.detail_inputs();
                    if before == now {
                        return Vec::new();
                    }
                    // Not shown: read when the view opens.
                    if shared.view != super::ViewId::Rollouts {
                        r.detail_outdated = true;
                        return Vec::new();
                    }
                    return match (before, now) {
                        (_, None) => Vec::new(),
                        (Some(b), Some(n)) if b.key == n.key => load_detail(r),
                        // Another rollout under the cursor is read as a
                        // selection change, after this update.
                        _ => Vec::new(),
                    };
                }
                Err(e) => {
                    // Each new reason once in the log; the notice line says
                    // since when.
                    if r.stale.fail(&e, shared.clock) {
                        shared.note(Level::Error, format!("cannot read the cluster: {e}"));
                    }
                }
            }
            Vec::new()
        }
        KubeAction::Detail { generation, result } => {
            // A refresh asked for while this read was out goes now.
            match r.detail.receive(generation, result) {
                Some(again) => detail_effect(r, again),
                None => Vec::new(),
            }
        }
        KubeAction::Prepared(result) => {
            r.busy = None;
            match result {
                Ok(Ready::Confirm(prepared)) => {
                    r.pending = Some(*prepared);
                    *shared.mode = Mode::Confirm;
                }
                Ok(Ready::Skipped(message)) => shared.note(Level::Info, message),
                Err(message) => shared.note(Level::Error, message),
            }
            Vec::new()
        }
        KubeAction::Finished(result) => {
            r.busy = None;
            match result {
                Ok(message) => shared.note(Level::Info, format!("done: {message}")),
                Err(message) => shared.note(Level::Error, message),
            }
            load_detail(r)
        }
    }
}

/// y / enter in the confirmation dialog.
pub fn confirm(r: &mut RolloutsState, mode: &mut Mode) -> Vec<Effect> {
    *mode = Mode::Normal;
    match r.pending.take() {
        Some(prepared) => {
            r.busy = Some(prepared.plan.summary.clone());
            vec![Effect::Kube(KubeEffect::Execute(prepared))]
        }
        None => Vec::new(),
    }
}

/// n / esc in the confirmation dialog: nothing is written; ops audits it.
pub fn cancel(r: &mut RolloutsState, mode: &mut Mode) -> Vec<Effect> {
    *mode = Mode::Normal;
    match r.pending.take() {
        Some(prepared) => vec![Effect::Kube(KubeEffect::Decline(prepared))],
        None => Vec::new(),
    }
}

/// The selection moved: its detail is fetched.
pub fn selection_changed(r: &mut RolloutsState) -> Vec<Effect> {
    r.detail.invalidate();
    r.detail_scroll = 0;
    load_detail(r)
}

/// `:ns NAME`: refused, the current one kept, when the cluster's list of
/// namespaces (if this user may read it) does not have it; `:ns` alone
/// lists them.
pub fn switch_namespace(r: &mut RolloutsState, shared: &mut Shared, ns: Option<String>) -> Vec<Effect> {
    let known = r.kube.loaded().and_then(|k| k.namespaces.clone());
    let all = crate::backends::kube::client::ALL_NAMESPACES;
    let Some(ns) = ns else {
        let text = match known {
            Some(names) => format!("namespaces: {} (or all); :ns NAME switches", names.join("  ")),
            None => "this user may not list namespaces; :ns NAME switches to one by name".into(),
        };
        shared.set_status(Level::Info, text);
        return Vec::new();
    };
    if let Some(names) = known.filter(|names| ns != all && !names.iter().any(|n| *n == ns)) {
        shared.note(
            Level::Error,
            format!(
                "no namespace {ns:?} in context {}: staying in {}; the namespaces are {}",
                shared.session.context.clone().unwrap_or_default(),
                shared.session.namespace,
                names.join(", ")
            ),
        );
        return Vec::new();
    }
    shared.session.namespace = Clean::new(&ns);
    shared.session.namespace_set = true;
    shared.note(Level::Info, format!("namespace {ns}"));
    connect(r, shared.session)
}

/// `:ctx NAME`: refused, the current one kept, when the kubeconfig has no
/// such context; `:ctx` alone lists them.
pub fn switch_context(r: &mut RolloutsState, shared: &mut Shared, ctx: Option<String>) -> Vec<Effect> {
    let known = r.kube.loaded().map(|k| k.contexts.clone());
    let Some(ctx) = ctx else {
        let text = match known {
            Some(names) => format!("contexts: {}; :ctx NAME switches", names.join("  ")),
            None => "not connected yet: the contexts are read from the kubeconfig on connecting".into(),
        };
        shared.set_status(Level::Info, text);
        return Vec::new();
    };
    if let Some(names) = known.filter(|names| !names.iter().any(|n| *n == ctx)) {
        shared.note(
            Level::Error,
            format!(
                "no context {ctx:?} in the kubeconfig: staying in {}; the contexts are {}",
                shared.session.context.clone().unwrap_or_default(),
                names.join(", ")
            ),
        );
        return Vec::new();
    }
    shared.note(Level::Info, format!("context {ctx}"));
    shared.session.context = Some(Clean::new(&ctx));
    connect(r, shared.session)
}

/// What `:` command arguments complete from, as the console knows it now.
pub fn choices(r: &RolloutsState, registry: Option<&RegistryLoad>) -> super::command::Choices {
    let info = r.kube.loaded();
    let mut versions: Vec<String> = r
        .list
        .loaded()
        .into_iter()
        .flatten()
        .filter_map(|ro| ro.version.name.as_ref().map(|v| v.to_string()))
        .collect();
    if let Some(load) = registry {
        versions.extend(
            load.models
                .iter()
                .flat_map(|m| m.versions.iter().map(|v| v.version.to_string())),
        );
    }
    versions.sort_by(|a, b| crate::domain::version::order(a, b));
    versions.dedup();
    let detail = match &r.detail.load {
        Load::Loaded(d) => Some(d),
        _ => None,
    };
    super::command::Choices {
        contexts: info
            .map(|k| k.contexts.iter().map(|c| c.to_string()).collect())
            .unwrap_or_default(),
        namespaces: info
            .and_then(|k| k.namespaces.as_ref())
            .map(|all| all.iter().map(|n| n.to_string()).collect())
            .unwrap_or_default(),
        services: r.services.iter().map(|(_, name)| name.clone()).collect(),
        versions,
        revisions: detail
            .map(|d| d.revisions.iter().map(|rev| rev.number).collect())
            .unwrap_or_default(),
        percents: r
            .selected()
            .and_then(|row| r.traffic_of(row))
            .map(|(_, t)| t.ladder.clone())
            .unwrap_or_default(),
    }
}
