//! What a key can be bound to in the keymap: the named, typed actions an
//! operator triggers by keyboard. The names are the keymap's `run` values.

use super::view_id::ViewId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAction {
    Help,
    Command,
    Filter,
    Quit,
    Back,
    NextPane,
    PrevPane,
    Refresh,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the selected row: the Rollouts detail full screen, an audit
    /// entry whole.
    Open,
    View(ViewId),
    /// Roll the selected deployment back to its previous revision.
    Undo,
    CanaryStep,
    CanaryAbort,
    Promote,
    /// Switch the rollout's blue-green Service back.
    SwitchBack,
    /// Metrics: a shorter or longer time range.
    RangeShorter,
    RangeLonger,
    /// Metrics: stop and resume fetching.
    Pause,
    /// Metrics: the A/B comparison of two versions.
    Compare,
    /// Metrics: the next version to set against A.
    CompareNext,
    /// Predict: mark the selected version as A or B (or unmark it).
    Mark,
    /// Predict: the next input (a sample, random rows, a file).
    NextInput,
    /// Predict: run the marked versions on the input; stop a run.
    Run,
    /// Predict: show an earlier or a later run of this session.
    OlderRun,
    NewerRun,
}

impl KeyAction {
    pub const ALL: [KeyAction; 37] = [
        KeyAction::Help,
        KeyAction::Command,
        KeyAction::Filter,
        KeyAction::Quit,
        KeyAction::Back,
        KeyAction::NextPane,
        KeyAction::PrevPane,
        KeyAction::Refresh,
        KeyAction::Up,
        KeyAction::Down,
        KeyAction::PageUp,
        KeyAction::PageDown,
        KeyAction::Top,
        KeyAction::Bottom,
        KeyAction::Open,
        KeyAction::View(ViewId::Models),
        KeyAction::View(ViewId::Rollouts),
        KeyAction::View(ViewId::Metrics),
        KeyAction::View(ViewId::Predict),
        KeyAction::View(ViewId::Alerts),
        KeyAction::View(ViewId::Audit),
        KeyAction::View(ViewId::Log),
        KeyAction::Undo,
        KeyAction::CanaryStep,
        KeyAction::CanaryAbort,
        KeyAction::Promote,
        KeyAction::SwitchBack,
        KeyAction::RangeShorter,
        KeyAction::RangeLonger,
        KeyAction::Pause,
        KeyAction::Compare,
        KeyAction::CompareNext,
        KeyAction::Mark,
        KeyAction::NextInput,
        KeyAction::Run,
        KeyAction::OlderRun,
        KeyAction::NewerRun,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyAction::Help => "help",
            KeyAction::Command => "command",
            KeyAction::Filter => "filter",
            KeyAction::Quit => "quit",
            KeyAction::Back => "back",
            KeyAction::NextPane => "next-pane",
            KeyAction::PrevPane => "prev-pane",
            KeyAction::Refresh => "refresh",
            KeyAction::Up => "up",
            KeyAction::Down => "down",
            KeyAction::PageUp => "page-up",
            KeyAction::PageDown => "page-down",
            KeyAction::Top => "top",
            KeyAction::Bottom => "bottom",
            KeyAction::Open => "open",
            KeyAction::View(ViewId::Models) => "view-models",
            KeyAction::View(ViewId::Rollouts) => "view-rollouts",
            KeyAction::View(ViewId::Metrics) => "view-metrics",
            KeyAction::View(ViewId::Predict) => "view-predict",
            KeyAction::View(ViewId::Alerts) => "view-alerts",
            KeyAction::View(ViewId::Audit) => "view-audit",
            KeyAction::View(ViewId::Log) => "view-log",
            KeyAction::Undo => "undo",
            KeyAction::CanaryStep => "canary-step",
            KeyAction::CanaryAbort => "canary-abort",
            KeyAction::Promote => "promote",
            KeyAction::SwitchBack => "switch-back",
            KeyAction::RangeShorter => "range-shorter",
            KeyAction::RangeLonger => "range-longer",
            KeyAction::Pause => "pause",
            KeyAction::Compare => "compare",
            KeyAction::CompareNext => "compare-next",
            KeyAction::Mark => "mark",
            KeyAction::NextInput => "next-input",
            KeyAction::Run => "run",
            KeyAction::OlderRun => "older-run",
            KeyAction::NewerRun => "newer-run",
        }
    }

    pub fn from_name(name: &str) -> Option<KeyAction> {
        KeyAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_name() {
        for action in KeyAction::ALL {
            assert_eq!(KeyAction::from_name(action.name()), Some(action));
        }
    }
}
