//! Rendering only: state in, cells out. No IO, no clock, no state changes.
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────────────┐
//! │ modeldeck  ctx …  ns …  READ-ONLY   registry ● kube ○ …     12:34:56 │ header
//! │ 1 Models  2 Rollouts  3 Metrics  4 Predict  5 Alerts  6 Audit        │ tabs
//! │ ⚠ config: …                                                (if any) │ banner
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
mod metrics;
mod metrics_compare;
mod models;
mod predict;
mod rollouts;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::state::Mode;
use crate::app::{State, ViewId};
use crate::config::{Keymap, Theme};
pub use glyphs::Glyphs;

pub use crate::app::state::MIN_SIZE;

/// What rendering needs besides the state.
pub struct Ui<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub glyphs: Glyphs,
}

pub fn draw(frame: &mut Frame, state: &State, ui: &Ui) {
    let area = frame.area();
    if !crate::app::state::fits((area.width, area.height)) {
        widgets::too_small(frame, area, ui);
        return;
    }
    let banner = header::banner_lines(state, area.width);
    let [head, tabs, banner_area, body, status, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(banner),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw_header(frame, head, state, ui);
    header::draw_tabs(frame, tabs, state, ui);
    header::draw_banner(frame, banner_area, state, ui);
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
    }
}
