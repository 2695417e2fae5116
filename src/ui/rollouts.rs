//! Rollouts: every deployment in the namespace, live from a watch, with the
//! selected one's status, traffic split, revisions and pods.
//!
//! ```text
//! ┌ Rollouts · ns · 2 ───────────────┐┌ malaria-predictor ─────────────┐
//! │ ● NAME  STATUS  REV VERSION READY ││ status, strategy, images       │
//! │ …                                 ││ traffic  stable 90% canary 10% │
//! └───────────────────────────────────┘│ revisions … / pods …           │
//!                                      └────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::Ui;
use super::widgets::{count, field, line, list_table, not_connected, panel};
use crate::app::State;
use crate::app::resource::Load;
use crate::app::rollouts::{OpKind, RolloutDetail};
use crate::app::state::Pane;
use crate::domain::rollout::{Rollout, RolloutPhase};
use crate::domain::version::Versioned;
use crate::text::clean;

const SIDE_BY_SIDE: u16 = 140;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let r = &state.rollouts;
    match &r.kube.load {
        Load::Failed(error) => {
            let lines = vec![
                line("Not connected to a Kubernetes cluster.", theme.warn),
                Line::default(),
                line(error.clone(), theme.text),
                Line::default(),
                line(
                    "Check --kubeconfig / --context (modeldeck info shows the settings), then ctrl-r to retry.",
                    theme.muted,
                ),
            ];
            return not_connected(frame, area, ui, "Rollouts", lines);
        }
        Load::NotLoaded | Load::Loading => {
            let context = state
                .session
                .context
                .clone()
                .unwrap_or_else(|| "the current context".into());
            let lines = vec![line(
                format!("Connecting to {context}{}", ui.glyphs.ellipsis),
                theme.muted,
            )];
            return not_connected(frame, area, ui, "Rollouts", lines);
        }
        Load::Loaded(_) => {}
    }
    let (list_area, detail_area) = if area.width >= SIDE_BY_SIDE {
        let [l, d] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
        (l, d)
    } else {
        let [l, d] = Layout::vertical([Constraint::Length(area.height * 2 / 5), Constraint::Fill(1)]).areas(area);
        (l, d)
    };
    draw_list(frame, list_area, state, ui);
    draw_detail(frame, detail_area, state, ui);
}

pub fn phase_mark(phase: RolloutPhase, ui: &Ui) -> (&'static str, Style) {
    let (g, t) = (ui.glyphs, ui.theme);
    match phase {
        RolloutPhase::Healthy => (g.ok, t.ok),
        RolloutPhase::Progressing => (g.pending, t.warn),
        RolloutPhase::Paused => (g.paused, t.warn),
        RolloutPhase::Degraded => (g.failed, t.error),
    }
}

fn draw_list(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let r = &state.rollouts;
    let sep = ui.glyphs.separator;
    let total = r.list.loaded().map_or(0, Vec::len);
    let mut title = format!(
        " Rollouts {sep} {} {sep} {} ",
        state.session.namespace,
        count(total, "deployment", "deployments")
    );
    if r.stale.is_some() {
        title.push_str(&format!("{sep} stale, reconnecting "));
    }
    let block = panel(title, r.focus == Pane::List, ui);
    let Some(list) = r.list.loaded() else {
        let text = format!("Watching deployments{}", ui.glyphs.ellipsis);
        frame.render_widget(Paragraph::new(text).style(theme.muted).block(block), area);
        return;
    };
    let rows = r.rows();
    if rows.is_empty() {
        let text = if list.is_empty() {
            format!(
                "No deployments in namespace {}. :ns NAME switches namespace.",
                state.session.namespace
            )
        } else {
            format!("No deployment matches the filter {:?}. esc clears it.", r.cursor.filter)
        };
        frame.render_widget(Paragraph::new(text).style(theme.muted).block(block), area);
        return;
    }
    // Every namespace: names carry theirs.
    let all = r.kube.loaded().is_some_and(|k| k.all_namespaces);
    // Names are never cut to make room: optional columns come in only
    // while NAME keeps its longest entry (the request rate first, then the
    // up-to-date and available counts).
    let longest = rows
        .iter()
        .map(|&i| {
            let ro = &list[i];
            ro.name.chars().count() + if all { ro.namespace.chars().count() + 1 } else { 0 }
        })
        .max()
        .unwrap_or(0)
        .min(48);
    // Borders, the selection mark, the fixed columns and their gaps.
    let mut room = (area.width as usize).saturating_sub(2 + 2 + 32 + 5);
    let requests = state.metrics.configured && room >= longest + 18;
    if requests {
        room -= 18;
    }
    let wide = room >= longest + 21;
    let columns: &[&str] = if wide {
        &[
            "",
            "NAME",
            "STATUS",
            "REV",
            "VERSION",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
        ]
    } else {
        &["", "NAME", "STATUS", "REV", "VERSION", "READY"]
    };
    let extra: &[&str] = if requests { &["REQUESTS"] } else { &[] };
    let header = columns
        .iter()
        .chain(extra)
        .map(|h| Cell::from(*h).style(theme.table_header));
    let table_rows = rows.iter().map(|&i| {
        let ro: &Rollout = &list[i];
        let (mark, style) = phase_mark(ro.status.phase, ui);
        let mut cells = vec![
            Cell::from(mark).style(style),
            Cell::from(if all {
                format!("{}/{}", ro.namespace, ro.name)
            } else {
                ro.name.clone()
            }),
            Cell::from(phase_word(ro.status.phase)).style(style),
            Cell::from(ro.revision.to_string()),
            Cell::from(version_cell(&ro.version, ui)),
            Cell::from(format!("{}/{}", ro.ready, ro.replicas)),
        ];
        if wide {
            cells.extend([Cell::from(ro.updated.to_string()), Cell::from(ro.available.to_string())]);
        }
        if requests {
            cells.push(Cell::from(rate_cell(state, ro, ui)));
        }
        Row::new(cells).style(theme.text)
    });
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(11),
        Constraint::Length(4),
        Constraint::Length(10),
        Constraint::Length(6),
    ];
    if wide {
        widths.extend([Constraint::Length(10), Constraint::Length(9)]);
    }
    if requests {
        widths.push(Constraint::Length(17));
    }
    let table = Table::new(table_rows, widths).header(Row::new(header)).block(block);
    list_table(frame, area, table, r.cursor.selected, ui);
}

/// A version by the rule, marked when its other source disagrees (the
/// detail says how).
fn version_cell<'a>(version: &Versioned, ui: &Ui) -> Line<'a> {
    let name = version.name.clone().unwrap_or_else(|| ui.glyphs.none.into());
    match version.disagrees {
        Some(_) => Line::from(vec![
            Span::styled(name, ui.theme.warn),
            Span::styled(ui.glyphs.warn, ui.theme.warn),
        ]),
        None => Line::from(name),
    }
}

/// The request rate of the rollout's version: a sparkline and the newest
/// value, from the metrics source's rate panel ("" without one).
fn rate_cell<'a>(state: &State, rollout: &Rollout, ui: &Ui) -> Line<'a> {
    let version = rollout.version.name.as_deref().unwrap_or_default();
    let rate = state
        .metrics
        .panels
        .iter()
        .find(|p| p.settings.kind == crate::config::metrics::PanelKind::Rate);
    let line = rate
        .and_then(|p| p.data.as_ref())
        .and_then(|d| d.lines.iter().find(|l| l.version == version && l.stat.is_empty()));
    let Some(line) = line.filter(|l| !l.points.is_empty()) else {
        return Line::default();
    };
    let values: Vec<f64> = line.points.iter().map(|p| p.1).collect();
    let last = values.last().copied().unwrap_or_default();
    let unit = rate.map_or("", |p| p.settings.unit.as_str());
    Line::from(vec![
        Span::styled(super::widgets::sparkline(&values, 8, ui.glyphs.ascii), ui.theme.ok),
        Span::styled(format!(" {}", crate::text::format_value(last, unit)), ui.theme.text),
    ])
}

pub fn op_word(kind: &OpKind) -> &'static str {
    match kind {
        OpKind::Rollback(_) => "roll back",
        OpKind::CanarySet(_) | OpKind::CanaryStep => "move the canary",
        OpKind::CanaryAbort => "abort",
        OpKind::CanaryPromote => "promote",
        OpKind::ShadowOn(_) | OpKind::ShadowOff => "shadow",
        OpKind::BlueGreenSwitch { .. } | OpKind::BlueGreenBack { .. } => "switch blue-green",
    }
}

pub fn phase_word(phase: RolloutPhase) -> &'static str {
    crate::commands::rollouts::phase_word(phase)
}

fn draw_detail(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let r = &state.rollouts;
    let focused = r.focus == Pane::Detail;
    let Some(selected) = r.selected() else {
        frame.render_widget(panel(" Detail ", focused, ui), area);
        return;
    };
    let block = panel(format!(" {} ", selected.name), focused, ui);
    let (mark, style) = phase_mark(selected.status.phase, ui);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(selected.status.message.clone(), style),
        ]),
        field(
            "strategy",
            format!(
                "{}{}",
                selected.strategy,
                if selected.paused { " (paused)" } else { "" }
            ),
            theme,
        ),
        field("images", selected.images.join(", "), theme),
    ];
    if selected.version.disagrees.is_some() {
        lines.insert(
            1,
            Line::from(vec![
                Span::styled(format!("{:<12}", "version"), theme.muted),
                Span::styled(selected.version.describe(ui.glyphs.none), theme.warn),
            ]),
        );
    }
    if !selected.probes.is_empty() {
        lines.push(field(
            "probes",
            selected.probes.join(&format!(" {} ", ui.glyphs.separator)),
            theme,
        ));
    }
    // Every version's headline metrics, so the next canary step is decided
    // with them in sight.
    let now = crate::app::metrics::now(state).unwrap_or_default();
    for (version, track) in state.metrics.versions() {
        if state.metrics.ended(&version, &track, now) {
            continue;
        }
        if let Some(summary) = super::metrics::version_summary(&state.metrics, &version, &track, ui) {
            let label = format!("{} {}", clean(&version), clean(&track));
            lines.push(Line::from(vec![
                Span::styled(format!("{:<12}", "metrics"), theme.muted),
                Span::styled(format!("{label:<14} "), theme.text),
                Span::styled(clean(&summary), theme.text),
            ]));
        }
    }
    match &r.detail.load {
        Load::Loaded(detail) if detail.name == selected.name && detail.namespace == selected.namespace => {
            let now = state.clock.as_ref().map(|c| c.timestamp().as_second());
            lines.extend(detail_lines(detail, ui, now));
        }
        Load::Failed(e) => lines.push(line(e.clone(), theme.error)),
        _ => lines.push(line(
            format!("Reading revisions and pods{}", ui.glyphs.ellipsis),
            theme.muted,
        )),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

/// `now`: Unix seconds of the last tick, for the revisions' ages.
fn detail_lines<'a>(detail: &RolloutDetail, ui: &Ui, now: Option<i64>) -> Vec<Line<'a>> {
    let theme = ui.theme;
    let mut lines = Vec::new();
    // What the cluster refuses this user, shown before a key is pressed.
    if let Some((_, reason)) = detail.denied.first() {
        let what: Vec<&str> = detail.denied.iter().map(|(kind, _)| op_word(kind)).collect();
        lines.push(Line::styled(
            format!("not allowed: {} ({reason})", what.join(", ")),
            theme.warn,
        ));
    }
    match &detail.split {
        Some(Ok(split)) => {
            lines.push(field(
                "stable",
                format!("{:>3}%  {}", split.stable, split.stable_backend),
                theme,
            ));
            lines.push(field(
                "canary",
                format!("{:>3}%  {}", split.canary, split.canary_backend),
                theme,
            ));
            if let Some(shadow) = split.shadow {
                lines.push(field(
                    "shadow",
                    format!("{shadow:>3}%  mirrored, answers dropped"),
                    theme,
                ));
            }
        }
        Some(Err(e)) => lines.push(field("traffic", e.clone(), theme)),
        None => lines.push(field(
            "traffic",
            "no router configured ([rollouts.NAME] in the config)",
            theme,
        )),
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
        lines.push(field(
            "service",
            format!(
                "{} {} {}{runs}  {}/{} ready{was}",
                side.service,
                ui.glyphs.arrow,
                side.selector_version.as_deref().unwrap_or(ui.glyphs.none),
                side.ready,
                side.pods
            ),
            theme,
        ));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "  REV  VERSION     READY  AGE     IMAGE",
        theme.table_header,
    ));
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
                rev.version.name.clone().unwrap_or_else(|| ui.glyphs.none.into()),
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
