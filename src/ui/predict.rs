//! Predict: the registry's versions to mark as A and B, the selected
//! version's signature, the input, and the run shown (a gauge while one
//! runs). Everything drawn is the state's; runs happen elsewhere.
//!
//! ```text
//! ┌ Versions ──────────────────┐┌ Signature  malaria_lstm@2.1.1 ──────┐
//! │   MODEL        VERSION  …  ││ in   input  float32 [batch_size,8,4]│
//! │ A malaria_lstm 2.0.5       ││ out  output float32 [batch_size,1]  │
//! └────────────────────────────┘└─────────────────────────────────────┘
//!  input  sample batch_32        A malaria_lstm@2.0.5  B …@2.1.1
//! ┌ Run 2 of 2 ─────────────────────────────────────────────────────────┐
//! │ agreement at 0.5: 28/32 rows (87.5%), max |diff| 0.8600, …          │
//! └─────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::Ui;
use super::predict_results;
use super::widgets::{line, list_table, panel};
use crate::app::State;
use crate::app::predict::{PredictState, Runtime};
use crate::app::resource::Load;
use crate::app::screen::Pane;
use crate::app::state::VersionRow;
use crate::domain::RegistryLoad;
use crate::domain::signature::Signature;

/// Rows of the top half (versions and signature) at most.
const TOP_ROWS: u16 = 9;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let p = &state.predict;
    let load = match &state.models.registry.load {
        Load::Loaded(load) => Some(load),
        Load::Failed(error) => {
            let text = format!("The registry could not be read: {error}");
            let block = panel(" Predict ", true, ui);
            frame.render_widget(
                Paragraph::new(text)
                    .style(ui.theme.error)
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
            return;
        }
        Load::Loading | Load::NotLoaded => None,
    };
    let rows = p.rows(load);
    let top = (rows.len() as u16 + 3).clamp(5, TOP_ROWS).min(area.height / 2);
    let [top_area, input_area, results_area] =
        Layout::vertical([Constraint::Length(top), Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let sig_width = (top_area.width / 2).max(40).min(top_area.width.saturating_sub(30));
    let [list_area, sig_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(sig_width)]).areas(top_area);
    draw_versions(frame, list_area, p, load, &rows, ui);
    let selected = rows.get(p.cursor.selected).zip(load).map(|(r, l)| (*r, l));
    draw_signature(frame, sig_area, p, selected, ui);
    draw_input(frame, input_area, p, ui);
    predict_results::draw(frame, results_area, p, ui);
}

fn draw_versions(
    frame: &mut Frame,
    area: Rect,
    p: &PredictState,
    load: Option<&RegistryLoad>,
    rows: &[VersionRow],
    ui: &Ui,
) {
    let theme = ui.theme;
    let block = panel(" Versions ", p.focus == Pane::List, ui);
    let Some(load) = load else {
        let text = format!("Reading the registry {}", ui.glyphs.ellipsis);
        frame.render_widget(Paragraph::new(text).style(theme.muted).block(block), area);
        return;
    };
    if rows.is_empty() {
        let text = if p.cursor.filter.is_empty() {
            "The registry lists no model versions.".to_owned()
        } else {
            format!("No version matches {:?}. esc clears it.", p.cursor.filter)
        };
        frame.render_widget(Paragraph::new(text).style(theme.muted).block(block), area);
        return;
    }
    let header = ["", "MODEL", "VERSION", "ALIASES"].map(|h| Cell::from(h).style(theme.table_header));
    let table_rows = rows.iter().map(|row| {
        let model = &load.models[row.model];
        let v = &model.versions[row.version];
        let mark = p.mark_of(&model.name, &v.version).map(String::from).unwrap_or_default();
        let mut version = Line::from(v.version.to_string());
        if !v.file_present {
            version.push_span(Span::styled(format!(" {}", ui.glyphs.missing), theme.error));
        }
        Row::new(vec![
            Cell::from(mark).style(theme.key),
            Cell::from(model.name.clone()),
            Cell::from(version),
            Cell::from(v.aliases.join(",")).style(theme.muted),
        ])
        .style(theme.text)
    });
    let name_width = rows
        .iter()
        .map(|r| load.models[r.model].name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let widths = [
        Constraint::Length(1),
        Constraint::Length(u16::try_from(name_width).unwrap_or(u16::MAX)),
        Constraint::Length(9),
        Constraint::Fill(1),
    ];
    let table = Table::new(table_rows, widths).header(Row::new(header)).block(block);
    list_table(frame, area, table, p.cursor.selected, ui);
}

fn draw_signature(
    frame: &mut Frame,
    area: Rect,
    p: &PredictState,
    selected: Option<(VersionRow, &RegistryLoad)>,
    ui: &Ui,
) {
    let theme = ui.theme;
    let Some((row, load)) = selected else {
        frame.render_widget(panel(" Signature ", false, ui), area);
        return;
    };
    let model = &load.models[row.model];
    let v = &model.versions[row.version];
    let title = format!(" Signature {} {}@{} ", ui.glyphs.separator, model.name, v.version);
    let block = panel(title, false, ui);
    let lines: Vec<Line> = if !v.file_present {
        vec![line(format!("no ONNX file at {}", v.file.display()), theme.error)]
    } else {
        match (&p.runtime, p.signatures.get(&v.file)) {
            (_, Some(Ok(sig))) => signature_lines(sig, &v.version, ui),
            (_, Some(Err(why))) => vec![line(why.to_string(), theme.error)],
            (Runtime::Missing(_), None) => vec![line("needs ONNX Runtime (see below)", theme.muted)],
            (Runtime::Finding, None) => vec![line(
                format!("looking for ONNX Runtime {}", ui.glyphs.ellipsis),
                theme.muted,
            )],
            (Runtime::Ready(_), None) => vec![line(format!("reading {}", ui.glyphs.ellipsis), theme.muted)],
        }
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

/// The signature in a few lines: inputs, outputs, provenance, and the
/// file's own version when the registry's disagrees.
fn signature_lines(sig: &Signature, registry: &semver::Version, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let tensor = |dir: &str, t: &crate::domain::signature::TensorSpec| {
        Line::from(vec![
            Span::styled(format!("{dir:<4}"), theme.muted),
            Span::styled(format!("{} ", t.name), theme.text),
            Span::styled(format!("{} {}", t.element, t.shape_words()), theme.text),
        ])
    };
    let mut lines: Vec<Line> = sig.inputs.iter().map(|t| tensor("in", t)).collect();
    lines.extend(sig.outputs.iter().map(|t| tensor("out", t)));
    let ir = sig.provenance.ir_version.map_or("-".to_owned(), |v| v.to_string());
    lines.push(Line::from(vec![
        Span::styled("IR ", theme.muted),
        Span::styled(ir, theme.text),
        Span::styled("  opset ", theme.muted),
        Span::styled(sig.opset_words(), theme.text),
    ]));
    if let Some(mismatch) = sig.version_mismatch(registry) {
        lines.push(line(format!("{} {mismatch}", ui.glyphs.warn), theme.warn));
    } else if let Some(declared) = sig.declared_version() {
        lines.push(Line::from(vec![
            Span::styled("file says ", theme.muted),
            Span::styled(format!("version {declared}"), theme.text),
        ]));
    }
    let producer = format!("{} {}", sig.provenance.producer, sig.provenance.producer_version);
    if !producer.trim().is_empty() {
        lines.push(Line::from(vec![
            Span::styled("by ", theme.muted),
            Span::styled(producer.trim().to_owned(), theme.muted),
        ]));
    }
    lines
}

/// One line: the input, and what is marked A and B.
fn draw_input(frame: &mut Frame, area: Rect, p: &PredictState, ui: &Ui) {
    let theme = ui.theme;
    let input = p.selected_input().map(|i| i.words()).unwrap_or_default();
    let mut spans = vec![Span::styled(" input ", theme.muted), Span::styled(input, theme.input)];
    for (i, m) in p.marked.iter().enumerate() {
        let letter = if i == 0 { "A" } else { "B" };
        spans.push(Span::styled(format!("   {letter} "), theme.key));
        spans.push(Span::styled(format!("{}@{}", m.model, m.version), theme.text));
    }
    if p.marked.is_empty() {
        spans.push(Span::styled(
            "   nothing marked: runs the selected version",
            theme.muted,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
