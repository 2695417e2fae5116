//! The two bottom lines: the status line (command or filter input, or the
//! last message) and the hints for the keys that apply now.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Ui;
use crate::app::keys::contexts;
use crate::app::rollout_keys;
use crate::app::screen::{Mode, Pane};
use crate::app::shared::Level;
use crate::app::state::State;
use crate::app::{KeyAction, ViewId};
use crate::config::KeyContext;

pub fn draw_status(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    let theme = ui.theme;
    let (prompt, input) = match &state.mode {
        Mode::Command(input) => (":", input),
        Mode::Filter(input) => ("/", input),
        Mode::Normal | Mode::Help | Mode::Confirm => {
            let line = match (&state.status, state.cursor()) {
                (Some(status), _) => {
                    let style = match status.level {
                        Level::Info => theme.text,
                        Level::Warn => theme.warn,
                        Level::Error => theme.error,
                    };
                    Line::styled(format!(" {}", gist(&status.text, area.width as usize, ui)), style)
                }
                (None, _) if state.rollouts.busy.is_some() => Line::styled(
                    format!(" {}", state.rollouts.busy.clone().unwrap_or_default()),
                    theme.muted,
                ),
                (None, Some(cursor)) if !cursor.filter.is_empty() => Line::from(vec![
                    Span::styled(" filter ", theme.muted),
                    Span::styled(cursor.filter.clone(), theme.input),
                    Span::styled("  (esc clears)", theme.muted),
                ]),
                _ => Line::default(),
            };
            frame.render_widget(Paragraph::new(line), area);
            return;
        }
    };
    let line = Line::from(vec![
        Span::styled(format!(" {prompt}"), theme.key),
        Span::styled(input.text().to_owned(), theme.input),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    let before: String = input.text().chars().take(input.cursor()).collect();
    let x = area.x + 2 + Span::raw(before).width() as u16;
    frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
}

pub fn draw_hints(frame: &mut Frame, area: Rect, state: &State, ui: &Ui) {
    // Completion candidates replace the hints while the command line is open.
    if let (Mode::Command(_), Some(status)) = (&state.mode, &state.status) {
        let line = Line::styled(format!(" {}", status.text), ui.theme.muted);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let hints: Vec<(String, String)> = match &state.mode {
        Mode::Command(_) => fixed(&[
            ("enter", "run"),
            ("esc", "cancel"),
            ("ctrl-u", "clear"),
            ("ctrl-c", "quit"),
        ]),
        Mode::Filter(_) => fixed(&[("enter", "keep filter"), ("esc", "clear filter"), ("ctrl-u", "clear")]),
        Mode::Confirm => fixed(&[("y", "yes, do it"), ("n", "no, change nothing")]),
        Mode::Help | Mode::Normal => keymap_hints(state, ui),
    };
    // Mutating keys are dimmed where they cannot act on the selected row:
    // writes refused here, the cluster saying this user may not, or nothing
    // for them to act on (no router, the top of the ladder); pressing one
    // says why.
    let dimmed: Vec<String> = [
        KeyAction::Undo,
        KeyAction::CanaryStep,
        KeyAction::CanaryAbort,
        KeyAction::Promote,
        KeyAction::SwitchBack,
    ]
    .into_iter()
    .filter(|key| {
        state.view == ViewId::Rollouts && rollout_keys::dimmed(&state.rollouts, state.session.readonly, *key).is_some()
    })
    .filter_map(|a| ui.keymap.key_for(KeyContext::Rollouts, a).map(|k| k.to_string()))
    .collect();
    let mut spans = vec![Span::raw(" ")];
    let mut width = 1;
    for (key, desc) in hints {
        let item = key.chars().count() + desc.chars().count() + 3;
        if width + item > area.width as usize {
            break;
        }
        width += item;
        let key_style = if dimmed.contains(&key) {
            ui.theme.muted
        } else {
            ui.theme.key
        };
        spans.push(Span::styled(key, key_style));
        spans.push(Span::styled(format!(" {desc}  "), ui.theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn fixed(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, d)| ((*k).to_owned(), (*d).to_owned())).collect()
}

/// Hints for the bound actions that make sense now, in the order an
/// operator needs them; unbound actions are left out.
fn keymap_hints(state: &State, ui: &Ui) -> Vec<(String, String)> {
    let contexts = contexts(state);
    let find = |action: KeyAction| {
        contexts.iter().find_map(|&c| {
            ui.keymap
                .bindings(c)
                .iter()
                .find(|b| b.action == action)
                .and_then(|b| b.keys.first().map(|k| (k.to_string(), b.desc.clone())))
        })
    };
    let mut wanted = Vec::new();
    if state.mode == Mode::Help {
        wanted.extend([KeyAction::Back, KeyAction::Down, KeyAction::Up]);
    } else {
        // The view's own actions first, then quit, then the keys every
        // list has: the narrowest footer still shows what matters here.
        wanted.extend([KeyAction::Help, KeyAction::Command]);
        if state.view == ViewId::Rollouts && state.rollouts.selected().is_some() {
            wanted.extend([
                KeyAction::Undo,
                KeyAction::CanaryStep,
                KeyAction::CanaryAbort,
                KeyAction::Promote,
                KeyAction::SwitchBack,
            ]);
        }
        if state.view == ViewId::Metrics && state.metrics.configured {
            wanted.extend([
                KeyAction::RangeShorter,
                KeyAction::RangeLonger,
                KeyAction::Pause,
                KeyAction::Compare,
            ]);
            if state.metrics.compare {
                wanted.push(KeyAction::CompareNext);
            }
        }
        if state.view == ViewId::Predict {
            wanted.extend([KeyAction::Mark, KeyAction::NextInput, KeyAction::Run]);
            if state.predict.runs.len() > 1 {
                wanted.push(KeyAction::OlderRun);
            }
        }
        wanted.push(KeyAction::Quit);
        if state.view.has_list() {
            wanted.extend([KeyAction::Filter, KeyAction::Down]);
        }
        if matches!(state.view, ViewId::Models | ViewId::Predict) {
            wanted.push(KeyAction::NextPane);
        }
        let filtered = state.cursor().is_some_and(|c| !c.filter.is_empty());
        let detail = (state.view == ViewId::Models && state.models.focus == Pane::Detail)
            || (state.view == ViewId::Predict && state.predict.focus == Pane::Detail);
        if filtered || detail || !state.history.is_empty() || !state.notices().is_empty() {
            wanted.push(KeyAction::Back);
        }
        wanted.extend([KeyAction::View(ViewId::Models), KeyAction::Refresh]);
    }
    let mut hints: Vec<(String, String)> = Vec::new();
    for action in wanted {
        let hint = match action {
            // Movement and view keys read best as one hint each.
            KeyAction::Down if state.mode == Mode::Normal => match (find(KeyAction::Down), find(KeyAction::Up)) {
                (Some((down, _)), Some((up, _))) => Some((format!("{down}/{up}"), "move".into())),
                (down, _) => down,
            },
            KeyAction::View(_) => match (
                find(KeyAction::View(ViewId::Models)),
                find(KeyAction::View(ViewId::Log)),
            ) {
                (Some((first, _)), Some((last, _))) => Some((format!("{first}-{last}"), "views".into())),
                _ => None,
            },
            KeyAction::OlderRun => match (find(KeyAction::OlderRun), find(KeyAction::NewerRun)) {
                (Some((older, _)), Some((newer, _))) => Some((format!("{older}/{newer}"), "runs".into())),
                (older, _) => older,
            },
            // "r run" becomes "r stop" while a run is in flight.
            KeyAction::Run if state.predict.running.is_some() => find(action).map(|(k, _)| (k, "stop".into())),
            action => find(action),
        };
        hints.extend(hint);
    }
    hints
}

/// A message cut to one line of `width` cells: its first line, and where
/// it continues when it is longer (the Log view has it whole).
fn gist(text: &str, width: usize, ui: &Ui) -> String {
    let first = text.lines().next().unwrap_or_default();
    let fits = first.chars().count() < width && !text.contains('\n');
    if fits {
        return first.to_owned();
    }
    let log = super::widgets::log_key(ui);
    let tail = format!("{} ({log}: log)", ui.glyphs.ellipsis);
    let room = width.saturating_sub(tail.chars().count() + 2);
    let cut: String = first.chars().take(room).collect();
    format!("{}{tail}", cut.trim_end())
}
