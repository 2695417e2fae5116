//! The selected rollout's detail: the facts an operator decides on first
//! (status, the version that runs, traffic, the guard, what may not be
//! done), then Services, images, every version's metrics, revisions and
//! pods. Lines are wrapped here, with continuation lines indented under
//! their label, so the pane knows its length: `tab` focuses it, `j`/`k`,
//! `ctrl-f`/`ctrl-b`, `g`/`G` scroll it, no further than its last line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Ui;
use super::widgets::{line, panel, phase_mark, wrap};
use crate::app::State;
use crate::app::cluster_reads::RolloutDetail;
use crate::app::resource::Load;
use crate::app::screen::Pane;
use crate::domain::rollout::Rollout;
use crate::domain::traffic::Track;
use crate::text::clean;

/// Labels are this wide; wrapped values line up after them.
const LABEL: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let r = &state.rollouts;
    let focused = r.focus == Pane::Detail || r.detail_full;
    let Some(selected) = r.selected() else {
        frame.render_widget(panel(" Detail ", focused, ui), area);
        return;
    };
    let inner_width = area.width.saturating_sub(2);
    let lines = lines(state, selected, ui, inner_width);
    let visible = area.height.saturating_sub(2);
    let total = lines.len() as u16;
    let scroll = r.detail_scroll.min(total.saturating_sub(visible));
    let sep = ui.glyphs.separator;
    let mut title = format!(" {} ", selected.name);
    if total > visible {
        let last = (scroll + visible).min(total);
        title.push_str(&format!("{sep} lines {}-{last} of {total} ", scroll + 1));
    }
    let hint = match (r.detail_full, focused) {
        (true, _) => format!(" j/k scroll {sep} esc back to the list "),
        (false, true) => format!(" j/k scroll {sep} enter full screen {sep} esc back "),
        (false, false) if total > visible => format!(" tab scroll {sep} enter full screen "),
        (false, false) => String::new(),
    };
    let block = panel(title, focused, ui).title_bottom(Line::styled(hint, ui.theme.muted));
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(block), area);
}

/// How many lines the detail has at the pane `area` gives it, and how
/// many show: for scrolling to stop at the last one.
pub fn measure(state: &State, area: Rect, ui: &Ui) -> (u16, u16) {
    match state.rollouts.selected() {
        Some(selected) => (
            lines(state, selected, ui, area.width.saturating_sub(2)).len() as u16,
            area.height.saturating_sub(2),
        ),
        None => (0, 0),
    }
}

/// The whole detail, wrapped to `width`.
fn lines(state: &State, selected: &Rollout, ui: &Ui, width: u16) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let r = &state.rollouts;
    let (mark, style) = phase_mark(selected.status.phase, ui);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{mark} "), style),
        Span::styled(selected.status.message.clone(), style),
    ])];
    if selected.version.disagrees.is_some() {
        lines.push(labelled(
            "version",
            selected.version.describe(ui.glyphs.none),
            theme.warn,
            ui,
        ));
    } else {
        lines.push(labelled(
            "version",
            selected.version.describe(ui.glyphs.none),
            theme.text,
            ui,
        ));
    }
    lines.extend(traffic_lines(state, selected, ui));
    let clock = |at: f64| super::widgets::local_time(state, at);
    for guard in state.alerts.guards.iter().filter(|g| g.deployment == selected.name) {
        let style = if guard.failed() { theme.error } else { theme.text };
        let text = format!(
            "on {} ({} {}): {}",
            guard.rule,
            guard.track,
            guard.action.describe(),
            guard.describe(&clock)
        );
        lines.push(labelled("guard", clean(&text), style, ui));
    }
    let detail = match &r.detail.load {
        Load::Loaded(d) if d.name == selected.name && d.namespace == selected.namespace => Some(d),
        _ => None,
    };
    if let Some(detail) = detail {
        lines.extend(denied_and_services(detail, ui));
    }
    lines.push(labelled(
        "strategy",
        format!(
            "{}{}",
            selected.strategy,
            if selected.paused { " (paused)" } else { "" }
        ),
        theme.text,
        ui,
    ));
    lines.push(labelled("images", selected.images.join(", "), theme.text, ui));
    if !selected.probes.is_empty() {
        let probes = selected.probes.join(&format!(" {} ", ui.glyphs.separator));
        lines.push(labelled("probes", probes, theme.text, ui));
    }
    // Every version's headline metrics, so the next canary step is decided
    // with them in sight.
    let now = state.now().unwrap_or_default();
    for (version, track) in state.metrics.versions() {
        if state.metrics.ended(&version, &track, now) {
            continue;
        }
        if let Some(summary) = super::metrics::version_summary(&state.metrics, &version, &track, ui) {
            let text = format!("{} {}  {}", clean(&version), clean(&track), clean(&summary));
            lines.push(labelled("metrics", text, theme.text, ui));
        }
    }
    match (&r.detail.load, detail) {
        (_, Some(detail)) => {
            // On the cluster's clock, as kubectl's AGE column.
            let now = state
                .clock
                .as_ref()
                .map(|c| c.timestamp().as_second() + detail.clock_skew.unwrap_or(0));
            lines.extend(history_lines(detail, ui, now));
        }
        (Load::Failed(e), None) => lines.push(line(e.clone(), theme.error)),
        _ => lines.push(line(
            format!("Reading revisions and pods{}", ui.glyphs.ellipsis),
            theme.muted,
        )),
    }
    wrap(lines, width as usize, LABEL)
}

/// "label       value", the label muted and padded so values line up.
fn labelled(label: &str, value: String, style: ratatui::style::Style, ui: &Ui) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), ui.theme.muted),
        Span::styled(value, style),
    ])
}

/// The rollout's traffic from the watch: its own split, or which
/// rollout's canary, shadow or stable side it is, with that split.
fn traffic_lines(state: &State, selected: &Rollout, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let r = &state.rollouts;
    let Some((owner, traffic)) = r.traffic_of(selected) else {
        return vec![labelled(
            "traffic",
            "no router configured ([rollouts.NAME] in the config)".into(),
            theme.muted,
            ui,
        )];
    };
    let split = match &traffic.split {
        Ok(split) => split,
        Err(e) => return vec![labelled("traffic", clean(&e.to_string()), theme.warn, ui)],
    };
    let mut lines = Vec::new();
    if let Some(role) = r.role_of(selected) {
        let acts = match role.track {
            Track::Canary | Track::Shadow => "; traffic actions here act on it",
            Track::Stable => "",
        };
        lines.push(labelled(
            "role",
            format!("{} of rollout {owner}{acts}", role.track.name()),
            theme.text,
            ui,
        ));
    }
    lines.push(labelled(
        Track::Stable.name(),
        format!("{:>3}%  {}", split.stable, split.stable_backend),
        theme.text,
        ui,
    ));
    lines.push(labelled(
        Track::Canary.name(),
        format!(
            "{:>3}%  {}  (ladder {})",
            split.canary,
            split.canary_backend,
            split.canary_step(&traffic.ladder)
        ),
        theme.text,
        ui,
    ));
    if let Some(shadow) = split.shadow {
        lines.push(labelled(
            Track::Shadow.name(),
            format!("{shadow:>3}%  mirrored, answers dropped"),
            theme.text,
            ui,
        ));
    }
    lines
}

/// What the cluster refuses this user (asked before a key is pressed), and
/// the blue-green Services of the rollout's app.
fn denied_and_services(detail: &RolloutDetail, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let mut lines = Vec::new();
    if let Some((_, reason)) = detail.denied.first() {
        let what: Vec<&str> = detail.denied.iter().map(|(kind, _)| kind.verb()).collect();
        lines.push(labelled(
            "not allowed",
            format!("{} ({reason})", what.join(", ")),
            theme.warn,
            ui,
        ));
    }
    for side in &detail.services {
        let was = side
            .previous
            .as_deref()
            .map(|p| format!("  (was {p})"))
            .unwrap_or_default();
        let runs = match &side.runs.disagrees {
            Some(_) => format!(" (runs {})", side.runs.describe(ui.glyphs.none)),
            None => String::new(),
        };
        lines.push(labelled(
            "service",
            format!(
                "{} {} version={}{runs}  {}/{} ready{was}",
                side.service,
                ui.glyphs.arrow,
                side.selector_version.as_deref().unwrap_or(ui.glyphs.none),
                side.ready,
                side.pods
            ),
            theme.text,
            ui,
        ));
    }
    lines
}

/// Revisions newest first, then pods. `now`: Unix seconds of the last
/// tick, for the revisions' ages.
fn history_lines(detail: &RolloutDetail, ui: &Ui, now: Option<i64>) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let mut lines = vec![
        Line::default(),
        Line::styled("  REV  VERSION     READY  AGE     IMAGE", theme.table_header),
    ];
    for rev in detail.revisions.iter().rev() {
        let marker = if rev.current {
            ui.glyphs.selected.trim_end()
        } else {
            " "
        };
        // The image's last path part is what tells revisions apart.
        let images: Vec<&str> = rev.images.iter().map(|i| i.rsplit('/').next().unwrap_or(i)).collect();
        let style = if rev.current { theme.ok } else { theme.text };
        let mut spans = vec![Span::styled(
            format!(
                "{marker} {:>3}  {:<10} {:>5}  {:<6}  {}",
                rev.number,
                rev.version.name.as_deref().unwrap_or(ui.glyphs.none).to_owned(),
                format!("{}/{}", rev.ready, rev.replicas),
                match (now, rev.created) {
                    (Some(now), Some(created)) => crate::text::human_age(now - created.as_second()),
                    _ => ui.glyphs.none.to_owned(),
                },
                images.join(", ")
            ),
            style,
        )];
        if let Some(other) = &rev.version.disagrees {
            spans.push(Span::styled(format!("  {other} disagrees"), theme.warn));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "POD                                 READY  STATUS             RESTARTS",
        theme.table_header,
    ));
    for pod in &detail.pods {
        let style = if pod.ready { theme.text } else { theme.warn };
        lines.push(Line::styled(
            format!(
                "{:<35} {:>5}  {:<18} {:>8}",
                pod.name,
                format!("{}/{}", pod.ready_containers.0, pod.ready_containers.1),
                pod.status,
                pod.restarts
            ),
            style,
        ));
    }
    lines
}
