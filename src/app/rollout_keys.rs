//! Which operation a Rollouts key (or `:` command) starts on the selected
//! row, and on which Deployment — one mapping for update, the footer and
//! the detail. A row that is the canary or shadow of a configured rollout
//! moves that rollout's traffic. A key that cannot act on the row says
//! why, so the footer dims it and pressing it explains instead of asking.

use super::KeyAction;
use super::resource::Load;
use super::rollouts::RolloutsState;
use crate::domain::operation::OpKind;
use crate::domain::rollout::Rollout;
use crate::domain::traffic::next_rung;

/// The keys that start an operation on the selected row, what each asks
/// for, and how the status line names it while planning. The switch back's
/// Service is filled in from the detail ([`planned`]); under read-only
/// it stays empty, as ops refuses before it is needed.
pub static KEY_OPS: [(KeyAction, OpKind, &str); 5] = [
    (KeyAction::Undo, OpKind::Rollback(None), "a rollback"),
    (KeyAction::CanaryStep, OpKind::CanaryStep, "a canary step"),
    (KeyAction::CanaryAbort, OpKind::CanaryAbort, "a canary abort"),
    (KeyAction::Promote, OpKind::CanaryPromote, "a promotion"),
    (
        KeyAction::SwitchBack,
        OpKind::BlueGreenBack { service: String::new() },
        "a switch back",
    ),
];

/// What a key asks for, and how the status line names it while planning.
pub fn op_of(key: KeyAction) -> Option<(OpKind, &'static str)> {
    KEY_OPS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, kind, what)| (kind.clone(), *what))
}

/// The operation `key` would start on the selected row (the switch back
/// with its Service filled in), or why it cannot act there now.
///
/// With writes refused (`readonly`), every mutating key goes to `ops`,
/// which refuses it and writes the audit line: read-only is the answer
/// whatever the row holds, and it must not depend on what has loaded.
pub fn planned(r: &RolloutsState, key: KeyAction, readonly: bool) -> Option<Result<(OpKind, &'static str), String>> {
    let (kind, what) = op_of(key)?;
    let Some(row) = r.selected() else {
        return Some(Err("no rollout selected".into()));
    };
    if readonly {
        return Some(Ok((kind, what)));
    }
    if let Some(why) = why_not(r, row, &kind) {
        return Some(Err(why));
    }
    Some(match kind {
        OpKind::BlueGreenBack { .. } => switch_back_service(r, row)
            .map(|service| (OpKind::BlueGreenBack { service }, what))
            .ok_or_else(|| {
                "no Service of this rollout records a version to switch back to; use :switch SERVICE VERSION".into()
            }),
        kind => Ok((kind, what)),
    })
}

/// Why `kind` has nothing to act on from `row`, judged from what the watch
/// and the detail show (the cluster is asked again when it runs).
fn why_not(r: &RolloutsState, row: &Rollout, kind: &OpKind) -> Option<String> {
    let name = &row.name;
    if kind.moves_traffic() {
        let Some((owner, traffic)) = r.traffic_of(row) else {
            return Some(format!(
                "no traffic router is configured for deployment {name:?}, nor is it the canary or shadow of a \
                 configured rollout: add [rollouts.{name}] to the configuration (modeldeck info shows which file)"
            ));
        };
        let split = traffic.split.as_ref().ok()?;
        match kind {
            OpKind::CanaryStep if next_rung(&traffic.ladder, split.canary).is_none() => {
                return Some(format!(
                    "the canary of {owner} is at {}%, the top of the ladder: promote it (P) to make it the stable side",
                    split.canary
                ));
            }
            OpKind::CanaryAbort if split.canary == 0 => {
                return Some(format!("the canary of {owner} already gets 0%"));
            }
            _ => {}
        }
    }
    if let (OpKind::Rollback(None), Load::Loaded(detail)) = (kind, &r.detail.load)
        && detail.name == *name
        && detail.revisions.len() < 2
    {
        return Some(format!("deployment {name} has no earlier revision to roll back to"));
    }
    None
}

/// The Service `b` switches back: one pointing at the row's version with a
/// recorded previous version, else any with one.
fn switch_back_service(r: &RolloutsState, row: &Rollout) -> Option<String> {
    match &r.detail.load {
        Load::Loaded(detail) if detail.name == row.name => detail
            .switch_back_target(row.version.name.as_deref())
            .map(str::to_owned),
        _ => None,
    }
}

/// Why `key` is dimmed on the selected row: it cannot act there, writes
/// are refused (`readonly`), or the cluster said this user may not.
pub fn dimmed(r: &RolloutsState, readonly: bool, key: KeyAction) -> Option<String> {
    let (kind, _) = op_of(key)?;
    if readonly {
        return Some("read-only mode".into());
    }
    if let Load::Loaded(detail) = &r.detail.load {
        let same = |k: &OpKind| std::mem::discriminant(k) == std::mem::discriminant(&kind);
        if let Some((_, reason)) = detail.denied.iter().find(|(k, _)| same(k)) {
            return Some(reason.clone());
        }
    }
    planned(r, key, false)?.err()
}
