//! From a key event to an action, by mode and keymap. Pure.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::input::Edit;
use super::screen::Mode;
use super::state::State;
use super::{Action, KeyAction, ViewId};
use crate::config::{Key, KeyContext, Keymap};

/// The keymap contexts in force, most specific first.
pub fn contexts(state: &State) -> &'static [KeyContext] {
    match state.mode {
        Mode::Help => &[KeyContext::Help],
        Mode::Command(_) | Mode::Filter(_) | Mode::Confirm => &[],
        Mode::Normal if state.view == ViewId::Rollouts => &[KeyContext::Rollouts, KeyContext::List, KeyContext::Global],
        Mode::Normal if state.view == ViewId::Metrics => &[KeyContext::Metrics, KeyContext::List, KeyContext::Global],
        Mode::Normal if state.view == ViewId::Predict => &[KeyContext::Predict, KeyContext::List, KeyContext::Global],
        Mode::Normal if state.view.has_list() => &[KeyContext::List, KeyContext::Global],
        Mode::Normal => &[KeyContext::Global],
    }
}

pub fn resolve(state: &State, keymap: &Keymap, event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    // ctrl-c always quits, whatever the keymap says: the way out must work.
    if ctrl && event.code == KeyCode::Char('c') {
        return Some(Action::Key(KeyAction::Quit));
    }
    // Too small to draw the console: only quitting works, so nothing acts
    // (and no dialog is answered) where the operator cannot see it.
    if !super::screen::fits(state.size) {
        let quit = keymap.lookup(&[KeyContext::Global], Key::from_event(event)) == Some(KeyAction::Quit);
        return quit.then_some(Action::Key(KeyAction::Quit));
    }
    // The confirmation dialog answers to fixed keys, named in the dialog.
    if state.mode == Mode::Confirm {
        return match event.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => Some(Action::Confirm),
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => Some(Action::Decline),
            _ => None,
        };
    }
    if let Mode::Command(_) = state.mode {
        match event.code {
            KeyCode::Up => return Some(Action::HistoryBack),
            KeyCode::Down => return Some(Action::HistoryForward),
            KeyCode::Tab => return Some(Action::Complete),
            _ => {}
        }
    }
    if matches!(state.mode, Mode::Command(_) | Mode::Filter(_)) {
        return text_input(event, ctrl);
    }
    keymap.lookup(contexts(state), Key::from_event(event)).map(Action::Key)
}

fn text_input(event: &KeyEvent, ctrl: bool) -> Option<Action> {
    let edit = match event.code {
        KeyCode::Esc => return Some(Action::Cancel),
        KeyCode::Enter => return Some(Action::Submit),
        KeyCode::Char('u') if ctrl => Edit::Clear,
        KeyCode::Char('w') if ctrl => Edit::DeleteWord,
        KeyCode::Char('a') if ctrl => Edit::Home,
        KeyCode::Char('e') if ctrl => Edit::End,
        KeyCode::Char(_) if ctrl || event.modifiers.contains(KeyModifiers::ALT) => return None,
        KeyCode::Char(c) => Edit::Insert(c),
        KeyCode::Backspace => Edit::Backspace,
        KeyCode::Delete => Edit::Delete,
        KeyCode::Left => Edit::Left,
        KeyCode::Right => Edit::Right,
        KeyCode::Home => Edit::Home,
        KeyCode::End => Edit::End,
        _ => return None,
    };
    Some(Action::Edit(edit))
}
