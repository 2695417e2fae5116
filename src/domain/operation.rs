//! What an operator (a key, a subcommand, the guard) asks to change, in
//! plain data; `ops::RolloutOp::new` turns it into the operation.

/// A mutating action the operator asked for, on the selected rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpKind {
    /// To a revision, or the previous one.
    Rollback(Option<i64>),
    CanarySet(u32),
    CanaryStep,
    CanaryAbort,
    CanaryPromote,
    ShadowOn(u32),
    ShadowOff,
    BlueGreenSwitch {
        service: String,
        version: String,
    },
    BlueGreenBack {
        service: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRequest {
    pub kind: OpKind,
    pub namespace: String,
    pub deployment: String,
}

impl OpKind {
    /// What the operation does, in a few words ("roll back").
    pub fn verb(&self) -> &'static str {
        match self {
            OpKind::Rollback(_) => "roll back",
            OpKind::CanarySet(_) | OpKind::CanaryStep => "move the canary",
            OpKind::CanaryAbort => "abort",
            OpKind::CanaryPromote => "promote",
            OpKind::ShadowOn(_) | OpKind::ShadowOff => "shadow",
            OpKind::BlueGreenSwitch { .. } | OpKind::BlueGreenBack { .. } => "switch blue-green",
        }
    }

    /// Whether it moves a rollout's traffic (so from a canary or shadow
    /// row it acts on the rollout that row serves).
    pub fn moves_traffic(&self) -> bool {
        matches!(
            self,
            OpKind::CanarySet(_)
                | OpKind::CanaryStep
                | OpKind::CanaryAbort
                | OpKind::CanaryPromote
                | OpKind::ShadowOn(_)
                | OpKind::ShadowOff
        )
    }
}
