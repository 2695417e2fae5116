//! The one place the state changes. Pure: no IO, no clock, no awaiting;
//! work for the outside world is returned as effects.

use super::action::{Action, Effect, KubeAction, MetricsAction};
use super::command::{self, Command};
use super::input::Input;
use super::screen::{Measure, Mode, Pane};
use super::shared::Level;
use super::state::State;
use super::{KeyAction, ViewId};
use super::{alerts, metrics, predict};
use super::{rollout_keys, rollouts};
use crate::backends::panels::Scope;

/// Rows taken by everything that is not the list (header, tabs, borders,
/// status and footer), to size a page.
const CHROME_ROWS: u16 = 8;

/// The effects to run at start-up.
pub fn init(state: &mut State) -> Vec<Effect> {
    // The configuration's problems are kept whole in the log.
    for warning in state.config_warnings.clone() {
        state.note(Level::Warn, warning);
    }
    if let Some(error) = state.config_error.clone() {
        state.note(
            Level::Error,
            format!("config error, running on built-in defaults: {error}"),
        );
    }
    state.status = None;
    let mut effects = load_registry(state);
    effects.extend(predict::init(&state.predict));
    effects.extend(rollouts::connect(&mut state.rollouts, &state.session));
    if state.view == ViewId::Audit {
        effects.extend(load_audit(state));
    }
    effects
}

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let before = state.rollouts.selected_key();
    let mut effects = apply(state, action);
    effects.extend(after_move(state, before));
    effects
}

fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) => {
            // A new keypress retires the last message.
            state.status = None;
            key_action(state, key)
        }
        Action::Edit(edit) => {
            // Completion candidates go stale as the line changes.
            state.status = None;
            match &mut state.mode {
                Mode::Command(input) => input.apply(edit),
                Mode::Filter(input) => {
                    input.apply(edit);
                    let text = input.text().to_owned();
                    if let Some(cursor) = state.cursor_mut() {
                        cursor.set_filter(&text);
                    }
                }
                Mode::Normal | Mode::Help | Mode::Confirm => {}
            }
            Vec::new()
        }
        Action::Submit => submit(state),
        Action::HistoryBack | Action::HistoryForward => {
            walk_history(state, action == Action::HistoryBack);
            Vec::new()
        }
        Action::Complete => {
            complete(state);
            Vec::new()
        }
        Action::Cancel => {
            if let Mode::Filter(_) = state.mode
                && let Some(cursor) = state.cursor_mut()
            {
                cursor.set_filter("");
            }
            state.mode = Mode::Normal;
            Vec::new()
        }
        Action::Tick(now) => {
            state.clock = Some(now);
            fetch_metrics(state)
        }
        Action::Resize(width, height) => {
            state.size = (width, height);
            Vec::new()
        }
        Action::Measured(measure) => {
            state.measured = measure;
            // Text that shrank (a smaller window, a shorter detail) pulls
            // the scroll back to its last line.
            state.help_scroll = state.help_scroll.min(Measure::limit(measure.help));
            let r = &mut state.rollouts;
            r.detail_scroll = r.detail_scroll.min(Measure::limit(measure.rollout_detail));
            Vec::new()
        }
        Action::RegistryLoaded { generation, result } => {
            let again = state.models.registry.receive(generation, result);
            let len = state.models.rows().len();
            state.models.cursor.clamp(len);
            let mut effects: Vec<Effect> = again.map(registry_effect(state)).into_iter().collect();
            effects.extend(predict::signatures_wanted(
                &state.predict,
                state.models.registry.loaded(),
            ));
            effects
        }
        Action::Predict(answer) => state.with_predict(|p, shared, load| predict::receive(p, shared, load, answer)),
        Action::Kube(answer) => {
            let snapshot = matches!(answer, KubeAction::Snapshot { .. });
            let effects = state.with_rollouts(|r, shared| rollouts::update(r, shared, answer));
            // The Alerts view judges alerts by what runs where now.
            if let (true, Some(list)) = (snapshot, state.rollouts.list.loaded()) {
                state.alerts.running = Some(alerts::running_of(list, &state.alerts.track_label));
            }
            effects
        }
        Action::Metrics(MetricsAction::Panel {
            generation,
            name,
            result,
        }) => {
            state.with_metrics(|m, shared| metrics::receive_panel(m, shared, generation, &name, result));
            Vec::new()
        }
        Action::Metrics(MetricsAction::Alerts { result, at }) => {
            let configured = state.metrics.configured;
            state.with_alerts(|a, shared| alerts::receive_alerts(a, shared, configured, result, at));
            Vec::new()
        }
        Action::Metrics(MetricsAction::Guards { reports, events }) => {
            state.with_alerts(|a, shared| alerts::receive_guards(a, shared, reports, events));
            Vec::new()
        }
        Action::Confirm => rollouts::confirm(&mut state.rollouts, &mut state.mode),
        Action::Decline => rollouts::cancel(&mut state.rollouts, &mut state.mode),
        Action::AuditLoaded { generation, result } => {
            let again = state.audit.log.receive(generation, result);
            let len = state.audit.rows().len();
            state.audit.cursor.clamp(len);
            again.map(audit_effect(state)).into_iter().collect()
        }
    }
}

fn key_action(state: &mut State, key: KeyAction) -> Vec<Effect> {
    if state.mode == Mode::Help {
        let (lines, visible) = state.measured.help;
        let delta = match key {
            KeyAction::Back | KeyAction::Help | KeyAction::Quit => {
                state.mode = Mode::Normal;
                return Vec::new();
            }
            KeyAction::Down => 1,
            KeyAction::Up => -1,
            KeyAction::PageDown => visible.max(1) as isize,
            KeyAction::PageUp => -(visible.max(1) as isize),
            KeyAction::Top => isize::MIN,
            KeyAction::Bottom => isize::MAX,
            _ => 0,
        };
        state.help_scroll = scrolled(state.help_scroll, delta, (lines, visible));
        return Vec::new();
    }
    let page = page(state) as isize;
    match key {
        KeyAction::Help => {
            state.mode = Mode::Help;
            state.help_scroll = 0;
        }
        KeyAction::Command => {
            state.mode = Mode::Command(Input::default());
            state.history_index = None;
        }
        KeyAction::Filter => {
            if let Some(cursor) = state.cursor() {
                state.mode = Mode::Filter(Input::with_text(&cursor.filter));
            }
        }
        KeyAction::Quit => state.quit = true,
        KeyAction::Back => back(state),
        KeyAction::NextPane | KeyAction::PrevPane => {
            let focus = match state.view {
                ViewId::Models => Some(&mut state.models.focus),
                ViewId::Rollouts if state.rollouts.selected().is_some() => Some(&mut state.rollouts.focus),
                ViewId::Predict => Some(&mut state.predict.focus),
                _ => None,
            };
            if let Some(focus) = focus {
                *focus = match focus {
                    Pane::List => Pane::Detail,
                    Pane::Detail => Pane::List,
                };
            }
        }
        KeyAction::Open => {
            if state.view == ViewId::Audit && !state.audit.rows().is_empty() {
                state.audit.open = true;
            }
            if state.view == ViewId::Rollouts && state.rollouts.selected().is_some() {
                let r = &mut state.rollouts;
                r.detail_full = true;
                r.focus = Pane::Detail;
            }
        }
        KeyAction::Refresh => return refresh(state),
        KeyAction::Up => move_by(state, Scroll::Lines(-1), -1),
        KeyAction::Down => move_by(state, Scroll::Lines(1), 1),
        KeyAction::PageUp => move_by(state, Scroll::Pages(-1), -page),
        KeyAction::PageDown => move_by(state, Scroll::Pages(1), page),
        KeyAction::Top => {
            if !scroll_detail(state, Scroll::Lines(isize::MIN))
                && let Some(c) = state.cursor_mut()
            {
                c.top();
            }
        }
        KeyAction::Bottom => {
            let len = state.row_count();
            if !scroll_detail(state, Scroll::Lines(isize::MAX))
                && let Some(c) = state.cursor_mut()
            {
                c.bottom(len);
            }
        }
        KeyAction::View(view) => return switch_view(state, view),
        KeyAction::Undo
        | KeyAction::CanaryStep
        | KeyAction::CanaryAbort
        | KeyAction::Promote
        | KeyAction::SwitchBack => return rollout_key(state, key),
        KeyAction::RangeShorter | KeyAction::RangeLonger if state.view == ViewId::Metrics => {
            let scope = metrics_scope(state);
            let longer = key == KeyAction::RangeLonger;
            return state.with_metrics(|m, shared| metrics::range_step(m, shared, scope, longer));
        }
        KeyAction::Pause if state.view == ViewId::Metrics => {
            let scope = metrics_scope(state);
            return state.with_metrics(|m, shared| metrics::toggle_pause(m, shared, scope));
        }
        KeyAction::Compare if state.view == ViewId::Metrics => {
            state.metrics.compare = !state.metrics.compare;
            state.metrics.refresh_ab();
        }
        KeyAction::CompareNext if state.view == ViewId::Metrics => state.with_metrics(metrics::compare_next),
        KeyAction::Mark if state.view == ViewId::Predict => state.with_predict(predict::mark),
        KeyAction::NextInput if state.view == ViewId::Predict => predict::next_input(&mut state.predict),
        KeyAction::Run if state.view == ViewId::Predict => return state.with_predict(predict::run),
        KeyAction::OlderRun | KeyAction::NewerRun if state.view == ViewId::Predict => {
            predict::page_runs(&mut state.predict, key == KeyAction::NewerRun);
        }
        KeyAction::RangeShorter
        | KeyAction::RangeLonger
        | KeyAction::Pause
        | KeyAction::Compare
        | KeyAction::CompareNext
        | KeyAction::Mark
        | KeyAction::NextInput
        | KeyAction::Run
        | KeyAction::OlderRun
        | KeyAction::NewerRun => {}
    }
    Vec::new()
}

/// A mutating key in Rollouts: the operation it starts on the selected
/// row, or, when it cannot act there, why (the footer dims it too).
fn rollout_key(state: &mut State, key: KeyAction) -> Vec<Effect> {
    if state.view != ViewId::Rollouts {
        return Vec::new();
    }
    match rollout_keys::planned(&state.rollouts, key, state.session.readonly) {
        Some(Ok((kind, what))) => state.with_rollouts(|r, shared| rollouts::request(r, shared, kind, what)),
        Some(Err(why)) => {
            state.note(Level::Warn, why);
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// What the metrics are read for, with the rollout selected now.
fn metrics_scope(state: &State) -> Scope {
    metrics::scope(&state.metrics, state.rollouts.selected(), &state.session.namespace)
}

/// The panels that are due, for the rollout selected now.
fn fetch_metrics(state: &mut State) -> Vec<Effect> {
    let scope = metrics_scope(state);
    state.with_metrics(|m, shared| metrics::fetch_due(m, shared, scope, false))
}

fn page(state: &State) -> u16 {
    state.size.1.saturating_sub(CHROME_ROWS).max(1)
}

/// Scrolls the focused detail pane by `scroll`, else moves the list's
/// cursor by `rows`.
fn move_by(state: &mut State, scroll: Scroll, rows: isize) {
    if scroll_detail(state, scroll) {
        return;
    }
    let delta = rows;
    let len = state.row_count();
    if let Some(cursor) = state.cursor_mut() {
        cursor.move_by(delta, len);
        if state.view == ViewId::Models {
            state.models.detail_scroll = 0;
        }
    }
}

/// After the Rollouts selection moved, its detail is read anew.
fn after_move(state: &mut State, before: Option<(String, String)>) -> Vec<Effect> {
    let now = state.rollouts.selected_key();
    if state.view == ViewId::Rollouts && now != before {
        rollouts::selection_changed(&mut state.rollouts)
    } else {
        Vec::new()
    }
}

/// How far a pane scrolls: lines, or pages of its own height.
#[derive(Debug, Clone, Copy)]
enum Scroll {
    Lines(isize),
    Pages(isize),
}

impl Scroll {
    fn lines(self, visible: u16) -> isize {
        match self {
            Scroll::Lines(n) => n,
            Scroll::Pages(n) => n.saturating_mul(visible.max(1) as isize),
        }
    }
}

/// Scrolls the detail pane of the view when it has the focus.
fn scroll_detail(state: &mut State, scroll: Scroll) -> bool {
    match state.view {
        ViewId::Models if state.models.focus == Pane::Detail => {
            let limit = state.models.detail_scroll_limit() as isize;
            let delta = scroll.lines(4);
            let scroll = &mut state.models.detail_scroll;
            *scroll = (*scroll as isize).saturating_add(delta).clamp(0, limit) as u16;
            true
        }
        ViewId::Predict if state.predict.focus == Pane::Detail => {
            let delta = scroll.lines(page(state));
            predict::scroll_results(&mut state.predict, delta);
            true
        }
        ViewId::Rollouts if state.rollouts.focus == Pane::Detail => {
            let measured = state.measured.rollout_detail;
            let delta = scroll.lines(measured.1);
            state.rollouts.detail_scroll = scrolled(state.rollouts.detail_scroll, delta, measured);
            true
        }
        _ => false,
    }
}

/// `scroll` moved by `delta` lines, kept between the top and the last
/// line of a pane of (lines, visible).
fn scrolled(scroll: u16, delta: isize, pane: (u16, u16)) -> u16 {
    let limit = Measure::limit(pane) as isize;
    (scroll as isize).saturating_add(delta).clamp(0, limit) as u16
}

/// `esc`: undo the innermost thing — a filter, the detail focus, then the
/// last view switch.
fn back(state: &mut State) {
    if let Some(cursor) = state.cursor_mut()
        && !cursor.filter.is_empty()
    {
        cursor.set_filter("");
        return;
    }
    if state.view == ViewId::Audit && state.audit.open {
        state.audit.open = false;
        return;
    }
    // Then the notice line: the newest thing on the screen.
    if let Some(notice) = state.notices().first() {
        state.dismissed.push(notice.key.clone());
        return;
    }
    if state.view == ViewId::Models && state.models.focus == Pane::Detail {
        state.models.focus = Pane::List;
        return;
    }
    if state.view == ViewId::Predict && state.predict.focus == Pane::Detail {
        state.predict.focus = Pane::List;
        return;
    }
    if state.view == ViewId::Rollouts && (state.rollouts.detail_full || state.rollouts.focus == Pane::Detail) {
        let r = &mut state.rollouts;
        if r.detail_full {
            r.detail_full = false;
        } else {
            r.focus = Pane::List;
        }
        return;
    }
    if let Some(view) = state.history.pop() {
        state.view = view;
    }
}

fn switch_view(state: &mut State, view: ViewId) -> Vec<Effect> {
    if view == state.view {
        return Vec::new();
    }
    state.history.retain(|v| *v != state.view);
    state.history.push(state.view);
    state.view = view;
    // The audit log grows while the console runs: re-read it on each visit.
    if view == ViewId::Audit {
        return load_audit(state);
    }
    if view == ViewId::Models && state.models.registry.loaded().is_none() && !state.models.registry.is_in_flight() {
        return load_registry(state);
    }
    // The list may have arrived while another view was shown: the
    // selection's detail is read when the view opens.
    let mut effects = Vec::new();
    if view == ViewId::Rollouts && !state.rollouts.detail_is_current() {
        effects.extend(rollouts::selection_changed(&mut state.rollouts));
    }
    // Metrics, and the Rollouts view's sparklines and per-version values
    // (the cluster is connected from start-up on, see `init`).
    effects.extend(fetch_metrics(state));
    effects
}

fn refresh(state: &mut State) -> Vec<Effect> {
    let effects = match state.view {
        ViewId::Models => load_registry(state),
        ViewId::Audit => load_audit(state),
        ViewId::Rollouts => rollouts::connect(&mut state.rollouts, &state.session),
        ViewId::Predict => predict::refresh(&mut state.predict),
        other => {
            state.set_status(Level::Info, format!("{} has no source to refresh yet", other.title()));
            return Vec::new();
        }
    };
    state.set_status(Level::Info, "refreshing");
    effects
}

fn submit(state: &mut State) -> Vec<Effect> {
    state.status = None;
    let mode = std::mem::replace(&mut state.mode, Mode::Normal);
    let Mode::Command(input) = mode else {
        // Enter in filter mode keeps the filter and leaves the input line.
        return Vec::new();
    };
    let line = input.text().trim().to_owned();
    if !line.is_empty() && state.command_history.last() != Some(&line) {
        if state.command_history.len() == HISTORY_LIMIT {
            state.command_history.remove(0);
        }
        state.command_history.push(line);
    }
    match command::parse(input.text()) {
        Ok(Command::View(view)) => switch_view(state, view),
        Ok(Command::Namespace(ns)) => state.with_rollouts(|r, shared| rollouts::switch_namespace(r, shared, ns)),
        Ok(Command::Context(ctx)) => state.with_rollouts(|r, shared| rollouts::switch_context(r, shared, ctx)),
        Ok(Command::Op(kind)) => {
            if state.view != ViewId::Rollouts {
                state.set_status(
                    Level::Warn,
                    "actions work on the selected rollout: open Rollouts (2) first",
                );
                return Vec::new();
            }
            state.with_rollouts(|r, shared| rollouts::request(r, shared, kind, "the action"))
        }
        Ok(Command::Range(label)) => {
            let mut effects = switch_view(state, ViewId::Metrics);
            let scope = metrics_scope(state);
            effects.extend(state.with_metrics(|m, shared| metrics::set_range(m, shared, scope, &label)));
            effects
        }
        Ok(Command::Input(path)) => {
            let effects = switch_view(state, ViewId::Predict);
            predict::add_file(&mut state.predict, path);
            effects
        }
        Ok(Command::Help) => {
            state.mode = Mode::Help;
            state.help_scroll = 0;
            Vec::new()
        }
        Ok(Command::Quit) => {
            state.quit = true;
            Vec::new()
        }
        Err(message) => {
            state.note(Level::Error, message);
            Vec::new()
        }
    }
}

/// Commands remembered for up/down in `:` mode.
const HISTORY_LIMIT: usize = 50;

fn walk_history(state: &mut State, back: bool) {
    let Mode::Command(input) = &mut state.mode else { return };
    let len = state.command_history.len();
    let index = match (state.history_index, back) {
        (None, true) if len > 0 => Some(len - 1),
        (Some(i), true) => Some(i.saturating_sub(1)),
        (Some(i), false) if i + 1 < len => Some(i + 1),
        // Forward past the newest entry: back to an empty line.
        (Some(_), false) => None,
        (None, _) => return,
    };
    state.history_index = index;
    *input = index.map_or_else(Input::default, |i| Input::with_text(&state.command_history[i]));
}

fn complete(state: &mut State) {
    if !matches!(state.mode, Mode::Command(_)) {
        return;
    }
    let choices = rollouts::choices(&state.rollouts, state.models.registry.loaded());
    let Mode::Command(input) = &mut state.mode else { return };
    match command::complete(input.text(), &choices) {
        Ok(line) => *input = Input::with_text(&line),
        Err(names) if names.len() > 1 => {
            // Fill what the candidates share, then list them.
            let first = names[0].as_str();
            let shared = (0..=first.len())
                .rev()
                .find(|&n| first.is_char_boundary(n) && names.iter().all(|c| c.starts_with(&first[..n])))
                .unwrap_or(0);
            let typed = input.text().rsplit(' ').next().unwrap_or_default().len();
            if shared > typed {
                let head = &input.text()[..input.text().len() - typed];
                *input = Input::with_text(&format!("{head}{}", &first[..shared]));
            }
            let names = names.join("  ");
            state.set_status(Level::Info, names);
        }
        Err(_) => {}
    }
}

fn load_registry(state: &mut State) -> Vec<Effect> {
    let effect = registry_effect(state);
    state.models.registry.request().map(effect).into_iter().collect()
}

fn load_audit(state: &mut State) -> Vec<Effect> {
    let effect = audit_effect(state);
    state.audit.log.request().map(effect).into_iter().collect()
}

/// The read of the registry, for a generation.
fn registry_effect(state: &State) -> impl FnOnce(u64) -> Effect + use<> {
    let location = state.session.registry_location.clone();
    move |generation| Effect::LoadRegistry { generation, location }
}

/// The read of the audit log, for a generation.
fn audit_effect(state: &State) -> impl FnOnce(u64) -> Effect + use<> {
    let path = state.session.audit_path.clone();
    move |generation| Effect::LoadAudit { generation, path }
}
