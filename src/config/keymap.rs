//! The keymap: which key runs which action in which context. Every binding
//! has a description, so the help screen and the footer are generated from
//! it and never disagree with what the keys do.

use serde::Deserialize;

use super::key::Key;
use super::problem::Problem;
use super::tree::Segment;
use crate::domain::key_action::KeyAction;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    /// Everywhere outside text input.
    Global,
    /// Views that show a list.
    List,
    /// The help screen.
    Help,
    /// The Rollouts view: its mutating actions.
    Rollouts,
    /// The Metrics view: range, pause, comparison.
    Metrics,
    /// The Predict view: mark versions, pick the input, run.
    Predict,
}

impl KeyContext {
    pub const ALL: [KeyContext; 6] = [
        KeyContext::Global,
        KeyContext::List,
        KeyContext::Help,
        KeyContext::Rollouts,
        KeyContext::Metrics,
        KeyContext::Predict,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::List => "list",
            KeyContext::Help => "help",
            KeyContext::Rollouts => "rollouts",
            KeyContext::Metrics => "metrics",
            KeyContext::Predict => "predict",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: KeyAction,
    pub desc: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keymap {
    global: Vec<Binding>,
    list: Vec<Binding>,
    help: Vec<Binding>,
    rollouts: Vec<Binding>,
    metrics: Vec<Binding>,
    predict: Vec<Binding>,
}

impl Keymap {
    pub fn bindings(&self, context: KeyContext) -> &[Binding] {
        match context {
            KeyContext::Global => &self.global,
            KeyContext::List => &self.list,
            KeyContext::Help => &self.help,
            KeyContext::Rollouts => &self.rollouts,
            KeyContext::Metrics => &self.metrics,
            KeyContext::Predict => &self.predict,
        }
    }

    fn bindings_mut(&mut self, context: KeyContext) -> &mut Vec<Binding> {
        match context {
            KeyContext::Global => &mut self.global,
            KeyContext::List => &mut self.list,
            KeyContext::Help => &mut self.help,
            KeyContext::Rollouts => &mut self.rollouts,
            KeyContext::Metrics => &mut self.metrics,
            KeyContext::Predict => &mut self.predict,
        }
    }

    /// The action bound to `key`, searching `contexts` in order.
    pub fn lookup(&self, contexts: &[KeyContext], key: Key) -> Option<KeyAction> {
        contexts.iter().find_map(|&c| {
            self.bindings(c)
                .iter()
                .find(|b| b.keys.contains(&key))
                .map(|b| b.action)
        })
    }

    /// The first key bound to `action` in `context`, for hints.
    pub fn key_for(&self, context: KeyContext, action: KeyAction) -> Option<Key> {
        self.bindings(context)
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first().copied())
    }

    /// Lays a user's bindings over these: a user binding replaces the
    /// bindings of the same action, and takes its keys from any other.
    pub fn overlay(&mut self, context: KeyContext, user: Vec<Binding>) {
        let list = self.bindings_mut(context);
        for binding in user {
            list.retain(|b| b.action != binding.action);
            for b in list.iter_mut() {
                b.keys.retain(|k| !binding.keys.contains(k));
            }
            list.retain(|b| !b.keys.is_empty());
            list.push(binding);
        }
    }
}

/// The `[keymap]` table of a configuration file.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeymapFile {
    pub global: Vec<BindingSpec>,
    pub list: Vec<BindingSpec>,
    pub help: Vec<BindingSpec>,
    pub rollouts: Vec<BindingSpec>,
    pub metrics: Vec<BindingSpec>,
    pub predict: Vec<BindingSpec>,
}

impl KeymapFile {
    pub fn specs(&self, context: KeyContext) -> &[BindingSpec] {
        match context {
            KeyContext::Global => &self.global,
            KeyContext::List => &self.list,
            KeyContext::Help => &self.help,
            KeyContext::Rollouts => &self.rollouts,
            KeyContext::Metrics => &self.metrics,
            KeyContext::Predict => &self.predict,
        }
    }

    /// Every binding resolved, by context; the first that cannot be is a
    /// problem that leaves it out.
    pub(super) fn resolve(&self) -> Result<Vec<(KeyContext, Vec<Binding>)>, Problem> {
        KeyContext::ALL
            .into_iter()
            .map(|context| {
                let bindings = self
                    .specs(context)
                    .iter()
                    .enumerate()
                    .map(|(i, spec)| {
                        spec.resolve().map_err(|(field, message)| {
                            let entry = vec![Segment::key("keymap"), Segment::key(context.name()), Segment::Index(i)];
                            Problem::entry(entry, &field, message)
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((context, bindings))
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingSpec {
    on: Vec<String>,
    run: String,
    #[serde(default)]
    desc: String,
}

impl BindingSpec {
    /// Checks the keys and the action; an error names the key at fault
    /// within the binding.
    fn resolve(&self) -> Result<Binding, (Vec<Segment>, String)> {
        let action = KeyAction::from_name(&self.run).ok_or_else(|| {
            let names: Vec<&str> = KeyAction::ALL.iter().map(|a| a.name()).collect();
            (
                vec![Segment::key("run")],
                format!(
                    "action {:?} does not exist; expected one of {}",
                    self.run,
                    names.join(", ")
                ),
            )
        })?;
        if self.on.is_empty() {
            return Err((
                vec![Segment::key("on")],
                format!("binding for {:?} has no keys in `on`", self.run),
            ));
        }
        let keys = self
            .on
            .iter()
            .enumerate()
            .map(|(i, k)| Key::parse(k).map_err(|e| (vec![Segment::key("on"), Segment::Index(i)], e)))
            .collect::<Result<Vec<_>, _>>()?;
        let desc = if self.desc.trim().is_empty() {
            action.name().replace('-', " ")
        } else {
            crate::text::clean(&self.desc)
        };
        Ok(Binding { keys, action, desc })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyCode;

    fn binding(keys: &[&str], action: KeyAction) -> Binding {
        Binding {
            keys: keys.iter().map(|k| Key::parse(k).unwrap()).collect(),
            action,
            desc: action.name().into(),
        }
    }

    #[test]
    fn a_user_binding_replaces_the_action_and_steals_its_key() {
        let mut keymap = Keymap::default();
        keymap.overlay(
            KeyContext::List,
            vec![
                binding(&["j", "down"], KeyAction::Down),
                binding(&["k", "up"], KeyAction::Up),
            ],
        );
        keymap.overlay(
            KeyContext::List,
            vec![binding(&["n"], KeyAction::Down), binding(&["k"], KeyAction::Top)],
        );
        let ctx = [KeyContext::List];
        assert_eq!(keymap.lookup(&ctx, Key::parse("n").unwrap()), Some(KeyAction::Down));
        assert_eq!(keymap.lookup(&ctx, Key::parse("j").unwrap()), None);
        assert_eq!(keymap.lookup(&ctx, Key::parse("k").unwrap()), Some(KeyAction::Top));
        assert_eq!(keymap.lookup(&ctx, Key::plain(KeyCode::Up)), Some(KeyAction::Up));
    }
}
