//! Rendering only: state in, cells out. No IO, no clock, no state changes.
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────────────┐
//! │ modeldeck  ctx …  ns …  READ-ONLY   registry ● kube ○ …     12:34:56 │ header
//! │ 1 Models  2 Rollouts  3 Metrics  4 Predict  5 Alerts  6 Audit  7 Log │ tabs, or
//! │ ⚠ 22:06:01 guard …: undo … (esc dismisses; 7: log)                   │ a notice
//! │ ┌ view ──────────────────────────────┐┌ detail ────────────────────┐ │
//! │ │                                    ││                            │ │ body
//! │ └────────────────────────────────────┘└────────────────────────────┘ │
//! │ :command / /filter / message                                         │ status
//! │ ? help  : command  / filter  j/k move  q quit                        │ footer
//! └──────────────────────────────────────────────────────────────────────┘
//! ```

mod alerts;
mod audit;
mod chart;
mod confirm;
mod footer;
pub mod glyphs;
mod header;
mod help;
mod log;
mod metrics;
mod metrics_compare;
mod models;
mod predict;
mod predict_results;
mod rollout_detail;
mod rollouts;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::screen::Mode;
use crate::app::{State, ViewId};
use crate::config::{Keymap, Theme};
pub use glyphs::Glyphs;

pub use crate::app::screen::MIN_SIZE;

/// What rendering needs besides the state.
pub struct Ui<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub glyphs: Glyphs,
}

/// The screen's rows: header, tabs (or a notice), body, status, footer.
fn rows(area: Rect) -> [Rect; 5] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// What a frame of `size` holds in its scrollable panes, for `update` to
/// stop scrolling at their last line (sent back as `Action::Measured`).
pub fn measure(state: &State, ui: &Ui, size: (u16, u16)) -> crate::app::screen::Measure {
    let area = Rect::new(0, 0, size.0, size.1);
    if !crate::app::screen::fits(size) {
        return crate::app::screen::Measure::default();
    }
    let [_, _, body, _, _] = rows(area);
    let rollout_detail = if state.view == ViewId::Rollouts {
        let (_, detail) = rollouts::areas(body, state, ui);
        rollout_detail::measure(state, detail, ui)
    } else {
        (0, 0)
    };
    crate::app::screen::Measure {
        rollout_detail,
        help: help::measure(body, ui),
    }
}

pub fn draw(frame: &mut Frame, state: &State, ui: &Ui) {
    let area = frame.area();
    if !crate::app::screen::fits((area.width, area.height)) {
        widgets::too_small(frame, area, ui);
        return;
    }
    let [head, tabs, body, status, foot] = rows(area);
    header::draw_header(frame, head, state, ui);
    header::draw_tabs(frame, tabs, state, ui);
    draw_view(frame, body, state, ui);
    footer::draw_status(frame, status, state, ui);
    footer::draw_hints(frame, foot, state, ui);
    if state.mode == Mode::Help {
        help::draw(frame, body, state, ui);
    }
    if state.mode == Mode::Confirm {
        confirm::draw(frame, body, state, ui);
    }
}

fn draw_view(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    match state.view {
        ViewId::Models => models::draw(frame, area, state, ui),
        ViewId::Rollouts => rollouts::draw(frame, area, state, ui),
        ViewId::Metrics => metrics::draw(frame, area, state, ui),
        ViewId::Predict => predict::draw(frame, area, state, ui),
        ViewId::Alerts => alerts::draw(frame, area, state, ui),
        ViewId::Audit => audit::draw(frame, area, state, ui),
        ViewId::Log => log::draw(frame, area, state, ui),
    }
}
