//! Rollouts: every deployment in the namespace, live from a watch. Each
//! row carries what an operator decides on — status, version, readiness,
//! and under it the traffic it serves (weight and rung of the ladder, the
//! shadow's share), the guard's state and firing alerts — so nobody learns
//! the weight from a confirmation dialog. The selected rollout's detail is
//! below (or beside, when wide), focused with `tab` and scrolled, or full
//! screen with `enter`.
//!
//! ```text
//! ┌ Rollouts · ml-serving · 3 deployments ──────────────────────────────┐
//! │    NAME                      STATUS      REV VERSION  READY          │
//! │▶ ● malaria-predictor         Healthy       1 2.0.5    3/3            │
//! │      stable 90% · canary 10% 2/5 · shadow 50%                       │
//! │  ● malaria-predictor-canary  Healthy       1 2.1.0    1/1            │
//! │      canary of malaria-predictor: 10% 2/5 · guard armed             │
//! └──────────────────────────────────────────────────────────────────────┘
//! ┌ malaria-predictor ───────────────────────────────────────────────────┐
//! │ status, traffic, guard, services, images, metrics, revisions, pods  │
//! └──────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};

use super::Ui;
use super::widgets::{count, line, not_connected, panel, phase_mark};
use crate::app::State;
use crate::app::resource::Load;
use crate::app::screen::Pane;
use crate::domain::alerting::RuleState;
use crate::domain::guard::{GuardReport, GuardState};
use crate::domain::rollout::Rollout;
use crate::domain::traffic::Track;
use crate::domain::version::Versioned;

/// At and above this width the detail sits beside the list.
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
    let (list_area, detail_area) = areas(area, state, ui);
    if let Some(list_area) = list_area {
        draw_list(frame, list_area, state, ui);
    }
    super::rollout_detail::draw(frame, detail_area, state, ui);
}

/// Where the list and the detail go: the detail alone when opened full
/// screen; side by side when wide; else the list as tall as its rows
/// (up to three fifths) and the detail below.
pub fn areas(area: Rect, state: &State, ui: &Ui) -> (Option<Rect>, Rect) {
    let r = &state.rollouts;
    if r.detail_full {
        return (None, area);
    }
    if area.width >= SIDE_BY_SIDE {
        let [l, d] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
        return (Some(l), d);
    }
    let rows: u16 = match r.list.loaded() {
        Some(list) => r
            .rows()
            .iter()
            .map(|&i| 1 + u16::from(!facts(state, &list[i], ui).is_empty()))
            .sum(),
        None => 1,
    };
    let wanted = (rows + 3).max(5).min(area.height * 3 / 5);
    let [l, d] = Layout::vertical([Constraint::Length(wanted), Constraint::Fill(1)]).areas(area);
    (Some(l), d)
}

fn draw_list(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let r = &state.rollouts;
    let sep = ui.glyphs.separator;
    let total = r.list.loaded().map_or(0, Vec::len);
    let rows = r.rows();
    // A filtered list says how much of it shows.
    let shown = if r.list.loaded().is_none() {
        "not read yet".to_owned()
    } else if r.cursor.filter.is_empty() {
        count(total, "deployment", "deployments")
    } else {
        format!("{} of {total} match {:?}", rows.len(), r.cursor.filter)
    };
    let mut title = vec![Span::styled(
        format!(" Rollouts {sep} {} {sep} {shown} ", state.session.namespace),
        theme.title,
    )];
    if r.stale.is_failing() {
        let since = r.stale.since_words();
        title.push(Span::styled(format!("{sep} STALE{since} "), theme.error));
    }
    let block = panel(Line::from(title), r.focus == Pane::List && !r.detail_full, ui);
    let Some(list) = r.list.loaded() else {
        // Never an empty list for a cluster that cannot be read.
        let lines = match r.stale.why() {
            Some(why) => vec![
                line("Cannot read the cluster's deployments.", theme.error),
                line(
                    format!("{}{}", crate::text::clean(why), r.stale.since_words()),
                    theme.text,
                ),
                line(
                    "Retrying by itself; ctrl-r reconnects now. modeldeck info shows the kubeconfig in use.",
                    theme.muted,
                ),
            ],
            None => vec![line(format!("Watching deployments{}", ui.glyphs.ellipsis), theme.muted)],
        };
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(ratatui::widgets::Wrap { trim: false })
                .block(block),
            area,
        );
        return;
    };
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
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let columns = Columns::fit(state, &rows, list, inner.width);
    let [header_area, rows_area] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let marker = " ".repeat(ui.glyphs.selected.chars().count());
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("{marker}{}", columns.header()),
            theme.table_header,
        )),
        header_area,
    );
    let items: Vec<ListItem> = rows
        .iter()
        .map(|&i| {
            let rollout = &list[i];
            let mut lines = vec![columns.row(state, rollout, ui)];
            let facts = facts(state, rollout, ui);
            if !facts.is_empty() {
                let mut spans = vec![Span::raw("    ")];
                spans.extend(facts);
                lines.push(Line::from(spans));
            }
            ListItem::new(Text::from(lines)).style(theme.text)
        })
        .collect();
    let list = List::new(items)
        .highlight_style(theme.selection)
        .highlight_symbol(ui.glyphs.selected);
    let mut list_state = ListState::default().with_selected(Some(r.cursor.selected));
    frame.render_stateful_widget(list, rows_area, &mut list_state);
}

/// The first line's columns. Names are never cut to make room: optional
/// columns come in only while NAME keeps its longest entry (the request
/// rate first, then the up-to-date and available counts).
struct Columns {
    all_namespaces: bool,
    name: usize,
    wide: bool,
    requests: bool,
}

impl Columns {
    /// Mark and gap, STATUS, REV, VERSION, READY (with their gaps).
    const FIXED: usize = 2 + 12 + 4 + 10 + 5;

    fn fit(state: &State, rows: &[usize], list: &[Rollout], width: u16) -> Columns {
        let all_namespaces = state.rollouts.kube.loaded().is_some_and(|k| k.all_namespaces);
        let longest = rows
            .iter()
            .map(|&i| label(&list[i], all_namespaces).chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 48);
        // The selection mark takes two cells.
        let mut room = (width as usize).saturating_sub(2 + Self::FIXED + 1);
        let requests = state.metrics.configured && room >= longest + 18;
        if requests {
            room -= 18;
        }
        let wide = room >= longest + 21;
        if wide {
            room -= 21;
        }
        Columns {
            all_namespaces,
            name: longest.min(room).max(4),
            wide,
            requests,
        }
    }

    fn header(&self) -> String {
        let mut text = format!(
            "  {:<name$} {:<11} {:>3} {:<9} {:<5}",
            "NAME",
            "STATUS",
            "REV",
            "VERSION",
            "READY",
            name = self.name
        );
        if self.wide {
            text.push_str(&format!(" {:>10} {:>9}", "UP-TO-DATE", "AVAILABLE"));
        }
        if self.requests {
            text.push_str("  REQUESTS");
        }
        text
    }

    fn row<'a>(&self, state: &State, ro: &Rollout, ui: &Ui) -> Line<'a> {
        let (mark, style) = phase_mark(ro.status.phase, ui);
        let mut spans = vec![
            Span::styled(format!("{mark} "), style),
            Span::raw(format!("{} ", fit(&label(ro, self.all_namespaces), self.name))),
            Span::styled(format!("{:<11} ", ro.status.phase.word()), style),
            Span::raw(format!("{:>3} ", ro.revision)),
        ];
        spans.extend(version_cell(&ro.version, 9, ui));
        spans.push(Span::raw(format!(" {:<5}", format!("{}/{}", ro.ready, ro.replicas))));
        if self.wide {
            spans.push(Span::raw(format!(" {:>10} {:>9}", ro.updated, ro.available)));
        }
        if self.requests {
            spans.push(Span::raw("  "));
            spans.extend(rate_cell(state, ro, ui).spans);
        }
        Line::from(spans)
    }
}

/// The row's name: with its namespace when every namespace is listed.
fn label(ro: &Rollout, all_namespaces: bool) -> String {
    if all_namespaces {
        format!("{}/{}", ro.namespace, ro.name)
    } else {
        ro.name.to_string()
    }
}

/// `text` in exactly `width` cells: padded, or cut with an ellipsis.
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text:<width$}")
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}~")
    }
}

/// A version by the rule in `width` cells, marked when its other source
/// disagrees (the detail says how).
pub fn version_cell<'a>(version: &Versioned, width: usize, ui: &Ui) -> Vec<Span<'a>> {
    let name = version.name.as_deref().unwrap_or(ui.glyphs.none).to_owned();
    match version.disagrees {
        Some(_) => vec![Span::styled(
            fit(&format!("{name}{}", ui.glyphs.warn), width),
            ui.theme.warn,
        )],
        None => vec![Span::raw(fit(&name, width))],
    }
}

/// What the row's deployment serves and what watches it, in words: its
/// traffic (or the rollout it is the canary, shadow or stable side of),
/// its guard, and its firing alerts. Empty when there is nothing to say.
pub fn facts<'a>(state: &State, ro: &Rollout, ui: &Ui) -> Vec<Span<'a>> {
    let (t, sep) = (ui.theme, ui.glyphs.separator);
    let r = &state.rollouts;
    let mut parts: Vec<Vec<Span<'a>>> = Vec::new();
    if let Some((owner, traffic)) = r.traffic_of(ro) {
        let role = r.role_of(ro);
        parts.push(match (&traffic.split, role) {
            (Err(e), _) => vec![Span::styled(format!("traffic: {e}"), t.warn)],
            (Ok(split), None) => {
                let mut text = format!(
                    "stable {}% {sep} canary {}",
                    split.stable,
                    split.canary_step(&traffic.ladder)
                );
                if let Some(shadow) = split.shadow {
                    text.push_str(&format!(" {sep} shadow {shadow}%"));
                }
                vec![Span::raw(text)]
            }
            (Ok(split), Some(role)) => {
                let share = match role.track {
                    Track::Stable => format!("{}%", split.stable),
                    Track::Canary => split.canary_step(&traffic.ladder),
                    Track::Shadow => match split.shadow {
                        Some(p) => format!("{p}% mirrored"),
                        None => "not mirrored".into(),
                    },
                };
                vec![Span::raw(format!("{} of {owner}: {share}", role.track.name()))]
            }
        });
    }
    for guard in state.alerts.guards.iter().filter(|g| g.deployment == ro.name) {
        parts.push(vec![guard_span(state, guard, ui)]);
    }
    let firing = firing_for(state, ro);
    if firing > 0 {
        let alerts = count(firing, "alert", "alerts");
        parts.push(vec![Span::styled(
            format!("{} {alerts} firing", ui.glyphs.failed),
            t.error,
        )]);
    }
    let mut out = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(Span::styled(format!(" {sep} "), t.muted));
        }
        out.extend(part);
    }
    out
}

/// "guard armed", "guard pending 35s/1m", "guard acted 22:06:01".
fn guard_span<'a>(state: &State, guard: &GuardReport, ui: &Ui) -> Span<'a> {
    let t = ui.theme;
    let clock = |at: f64| super::widgets::local_time(state, at);
    let style = match &guard.state {
        GuardState::Off(_) => t.muted,
        _ if guard.failed() => t.error,
        GuardState::Pending { .. } | GuardState::Acted { .. } => t.warn,
        GuardState::Armed => t.ok,
    };
    Span::styled(format!("guard {}", guard.short(&clock)), style)
}

/// Firing alerts about the version this deployment runs, on its track.
fn firing_for(state: &State, ro: &Rollout) -> usize {
    let a = &state.alerts;
    let Some(version) = ro.version.name.as_deref() else {
        return 0;
    };
    let track = ro.labels.get(a.track_label.as_str());
    a.rows()
        .iter()
        .filter(|alert| alert.state == RuleState::Firing && a.resolved(alert).is_none())
        .filter(|alert| {
            let label = |k: &str| alert.labels.get(k);
            label("version").is_some_and(|v| crate::domain::version::same(v, version))
                && label("namespace").is_none_or(|ns| *ns == ro.namespace)
                && (track.is_none() || label(&a.track_label).is_none_or(|t| track.is_some_and(|track| track == t)))
        })
        .count()
}

/// The request rate of the rollout's version on its track: a sparkline
/// and the newest value, from the metrics source's rate panel ("" without
/// one). A version that runs on two tracks has two series.
fn rate_cell<'a>(state: &State, rollout: &Rollout, ui: &Ui) -> Line<'a> {
    let version = rollout.version.name.as_deref().unwrap_or_default();
    let track = rollout.labels.get(state.alerts.track_label.as_str());
    let rate = state
        .metrics
        .panels
        .iter()
        .find(|p| p.settings.kind == crate::config::metrics::PanelKind::Rate);
    let line = rate.and_then(|p| p.data.as_ref()).and_then(|d| {
        d.lines.iter().find(|l| {
            crate::domain::version::same(&l.version, version)
                && l.stat.is_empty()
                && track.is_none_or(|t| *t == l.track)
        })
    });
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
