//! Models: the registry's versions, newest first per model, with stage,
//! aliases and run metrics; the selected version's details beside or below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::Ui;
use super::widgets::{count, field, list_table, panel};
use crate::app::State;
use crate::app::resource::Load;
use crate::app::screen::Pane;
use crate::app::state::VersionRow;
use crate::config::Theme;
use crate::domain::RegistryLoad;
use crate::domain::{Model, ModelVersion, Stage};

/// Widths at and above which the detail pane sits beside the list.
const SIDE_BY_SIDE: u16 = 140;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let load = match &state.models.registry.load {
        Load::Loaded(load) => load,
        Load::Failed(error) => return failed(frame, area, error, ui),
        Load::Loading | Load::NotLoaded => {
            let block = panel(" Models ", true, ui);
            let text = format!(
                "Reading the registry at {} {}",
                state.session.registry_location.display(),
                ui.glyphs.ellipsis
            );
            frame.render_widget(Paragraph::new(text).style(theme.muted).block(block), area);
            return;
        }
    };
    let problems = problem_height(load, area);
    let [main, problems_area] = Layout::vertical([Constraint::Min(6), Constraint::Length(problems)]).areas(area);
    let (list_area, detail_area) = if main.width >= SIDE_BY_SIDE {
        let [l, d] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(56)]).areas(main);
        (l, d)
    } else {
        let [l, d] = Layout::vertical([Constraint::Fill(1), Constraint::Length(9)]).areas(main);
        (l, d)
    };
    let rows = state.models.rows();
    draw_list(frame, list_area, state, load, &rows, ui);
    let selected = rows.get(state.models.cursor.selected).copied();
    draw_detail(frame, detail_area, state, load, selected, ui);
    if problems > 0 {
        draw_problems(frame, problems_area, load, ui);
    }
}

fn draw_list(frame: &mut Frame, area: Rect, state: &State, load: &RegistryLoad, rows: &[VersionRow], ui: &Ui) {
    let theme = ui.theme;
    let m = ui.glyphs;
    let total: usize = load.models.iter().map(|m| m.versions.len()).sum();
    let shown = if rows.len() == total {
        count(total, "version", "versions")
    } else {
        format!("{} of {total} versions", rows.len())
    };
    let sep = ui.glyphs.separator;
    let title = format!(
        " Models {sep} {} {sep} {shown} ",
        count(load.models.len(), "model", "models")
    );
    let block = panel(title, state.models.focus == Pane::List, ui)
        .title_bottom(Line::styled(format!(" {} major version jump ", m.jump), theme.muted));
    if rows.is_empty() {
        let text = if total == 0 {
            format!("The registry {} lists no model versions.", load.manifest.display())
        } else {
            format!(
                "No version matches the filter {:?}. esc clears it.",
                state.models.cursor.filter
            )
        };
        frame.render_widget(Paragraph::new(text).style(theme.muted).block(block), area);
        return;
    }
    let wide = area.width >= 100;
    let header = ["MODEL", "VERSION", "STAGE", "ALIASES", "ACC", "F1", "ms/row"]
        .into_iter()
        .chain(if wide { &["CREATED", "DESCRIPTION"][..] } else { &[] }.iter().copied())
        .map(|h| Cell::from(h).style(theme.table_header));
    let table_rows = rows.iter().map(|row| {
        let model = &load.models[row.model];
        let v = &model.versions[row.version];
        let mut version = Line::from(Span::raw(v.version.to_string()));
        if model.is_major_jump(row.version) {
            version.push_span(Span::styled(format!(" {}", m.jump), theme.major_jump));
        }
        if !v.file_present {
            version.push_span(Span::styled(format!(" {}", m.missing), theme.error));
        }
        let mut cells = vec![
            Cell::from(model.name.clone()),
            Cell::from(version),
            Cell::from(v.stage.as_str()).style(stage_style(v.stage, theme)),
            Cell::from(v.aliases.join(",")),
            Cell::from(metric(v.metrics.accuracy, ui)),
            Cell::from(metric(v.metrics.f1_score, ui)),
            Cell::from(metric(v.metrics.inference_time_ms, ui)),
        ];
        if wide {
            let created = v.created.map(|t| t.strftime("%Y-%m-%d").to_string());
            cells.push(Cell::from(created.unwrap_or_default()));
            cells.push(Cell::from(v.description.clone()).style(theme.muted));
        }
        Row::new(cells).style(theme.text)
    });
    // Text columns as wide as their longest value, so the numbers stay close.
    let longest = |f: &dyn Fn(&VersionRow) -> usize, header: usize| {
        let widest = rows.iter().map(f).max().unwrap_or(0).max(header);
        // A name longer than a terminal is cut, never wrapped round.
        u16::try_from(widest).unwrap_or(u16::MAX)
    };
    let model_width = longest(&|r| load.models[r.model].name.chars().count(), 5);
    let alias_width = longest(
        &|r| {
            load.models[r.model].versions[r.version]
                .aliases
                .join(",")
                .chars()
                .count()
        },
        7,
    );
    let mut widths = vec![
        Constraint::Length(model_width),
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Length(alias_width),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(7),
    ];
    if wide {
        widths.extend([Constraint::Length(10), Constraint::Fill(1)]);
    }
    let table = Table::new(table_rows, widths).header(Row::new(header)).block(block);
    list_table(frame, area, table, state.models.cursor.selected, ui);
}

fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    load: &RegistryLoad,
    selected: Option<VersionRow>,
    ui: &Ui,
) {
    let focused = state.models.focus == Pane::Detail;
    let Some(row) = selected else {
        frame.render_widget(panel(" Details ", focused, ui), area);
        return;
    };
    let model = &load.models[row.model];
    let v = &model.versions[row.version];
    let block = panel(format!(" {} {} ", model.name, v.version), focused, ui);
    frame.render_widget(
        Paragraph::new(detail_lines(model, row.version, v, ui))
            .wrap(Wrap { trim: false })
            .scroll((state.models.detail_scroll, 0))
            .block(block),
        area,
    );
}

fn detail_lines<'a>(model: &Model, index: usize, v: &ModelVersion, ui: &Ui) -> Vec<Line<'a>> {
    let theme = ui.theme;
    let m = ui.glyphs;
    let mut lines = Vec::new();
    if !v.description.is_empty() {
        lines.push(Line::styled(v.description.clone(), theme.text));
    }
    let mut stage = field("stage", "", theme);
    stage.push_span(Span::styled(v.stage.as_str(), stage_style(v.stage, theme)));
    lines.push(stage);
    if !v.aliases.is_empty() {
        lines.push(field("aliases", v.aliases.join(", "), theme));
    }
    let run_metrics = format!(
        "accuracy {}  f1 {}  {} ms/row",
        metric(v.metrics.accuracy, ui),
        metric(v.metrics.f1_score, ui),
        metric(v.metrics.inference_time_ms, ui)
    );
    lines.push(field("run metrics", run_metrics, theme));
    for (name, value) in &v.metrics.other {
        lines.push(field("", format!("{name} {value}"), theme));
    }
    if model.is_major_jump(index)
        && let Some(older) = model.versions.get(index + 1)
    {
        lines.push(Line::styled(
            format!(
                "{} major version jump from {}: breaking changes or a new architecture",
                m.jump, older.version
            ),
            theme.major_jump,
        ));
    }
    let file = v.file.display().to_string();
    if v.file_present {
        lines.push(field("onnx file", file, theme));
    } else {
        let mut missing = field("onnx file", file, theme);
        missing.push_span(Span::styled(format!("  {} missing", m.missing), theme.error));
        lines.push(missing);
    }
    if let Some(created) = v.created {
        lines.push(field(
            "created",
            created.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            theme,
        ));
    }
    if !v.run_id.is_empty() {
        lines.push(field("run id", v.run_id.clone(), theme));
    }
    lines
}

/// Height of the problems panel: its wrapped lines plus borders, at most
/// half the view; the full list is also on `modeldeck models`'s stderr.
fn problem_height(load: &RegistryLoad, area: Rect) -> u16 {
    if load.problems.is_empty() {
        return 0;
    }
    let width = area.width.saturating_sub(2).max(1) as usize;
    let lines: usize = load
        .problems
        .iter()
        .map(|p| (p.chars().count() + 2).div_ceil(width))
        .sum();
    u16::try_from(lines)
        .unwrap_or(u16::MAX)
        .saturating_add(2)
        .min(area.height / 2)
        .max(3)
}

fn draw_problems(frame: &mut Frame, area: Rect, load: &RegistryLoad, ui: &Ui) {
    let theme = ui.theme;
    let m = ui.glyphs;
    let lines: Vec<Line> = load
        .problems
        .iter()
        .map(|p| Line::styled(format!("{} {p}", m.warn), theme.warn))
        .collect();
    let title = format!(" Registry problems ({}) ", load.problems.len());
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(title, false, ui)),
        area,
    );
}

fn failed(frame: &mut Frame, area: Rect, error: &str, ui: &Ui) {
    let theme = ui.theme;
    let m = ui.glyphs;
    let lines = vec![
        Line::default(),
        Line::styled(
            format!(" {} The model registry could not be read.", m.failed),
            theme.error,
        ),
        Line::default(),
        Line::styled(format!(" {error}"), theme.text),
        Line::default(),
        Line::styled(
            " Check [registry] path in your configuration (modeldeck info shows it), then press ctrl-r.",
            theme.muted,
        ),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(" Models ", true, ui)),
        area,
    );
}

fn stage_style(stage: Stage, theme: &Theme) -> Style {
    match stage {
        Stage::Production => theme.stage_production,
        Stage::Staging => theme.stage_staging,
        Stage::Archived => theme.stage_archived,
        Stage::None => theme.stage_none,
    }
}

fn metric(value: Option<f64>, ui: &Ui) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.3}"),
        Some(v) => v.to_string(),
        None => ui.glyphs.none.into(),
    }
}
