//! Settling the built-in defaults and the user's file into settings that
//! can all be used. Whatever cannot be is taken out alone, with a warning
//! naming its file and line, and the rest is tried again:
//! - an unknown key is ignored ("did you mean `refresh`?");
//! - a key whose value cannot be used falls back to the built-in value;
//! - in a list entry ([[metrics.panels]], [[alerts]], [[keymap.*]]) or a
//!   named one ([rollouts.NAME], [guard.NAME], [contexts.NAME]), a value
//!   that cannot be used leaves that entry out, since half of an entry
//!   would show or do something other than what was written.

use serde::Deserialize;

use super::de::{DeErrorKind, NodeDeserializer};
use super::keymap::{Binding, KeyContext};
use super::problem::Problem;
use super::settings::Settings;
use super::tree::{KeyPath, Node, Origin, Segment, Source, Value};

/// A warning, and where it points.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Notice {
    pub origin: Origin,
    pub text: String,
}

pub(super) struct Settled {
    pub file: Settings,
    /// Every binding in force, built-in ones first, by context.
    pub bindings: Vec<(KeyContext, Vec<Binding>)>,
    pub notices: Vec<Notice>,
}

/// The checks beyond types, on settings that deserialized: the first thing
/// that cannot be used, else the resolved bindings.
pub(super) type Check = fn(&Settings) -> Result<Vec<(KeyContext, Vec<Binding>)>, Problem>;

/// Takes out of `defaults` and `user` whatever cannot be used until the
/// rest can. Fails only if a problem points at nothing it can take out.
pub(super) fn settle(mut defaults: Node, mut user: Option<Node>, check: Check) -> Result<Settled, String> {
    let mut notices = Vec::new();
    loop {
        let merged = merged(&defaults, user.as_ref());
        let problem = match Settings::deserialize(NodeDeserializer(&merged)) {
            Err(e) => Problem::from(e),
            Ok(file) => match check(&file) {
                Ok(bindings) => {
                    notices.sort_by_key(|n: &Notice| (n.origin.source == Source::User, n.origin.line, n.origin.col));
                    return Ok(Settled {
                        file,
                        bindings,
                        notices,
                    });
                }
                Err(problem) => problem,
            },
        };
        // A read-only switch that cannot be read is on, never dropped
        // (which would turn it off): refusing writes is the safe side.
        if let (Some(Segment::Key(last)), DeErrorKind::Unusable(message)) = (problem.at.last(), &problem.kind)
            && last == "readonly"
            && let Some(node) = merged.get(&problem.at)
        {
            let id = node.id;
            notices.push(Notice {
                origin: node.origin,
                text: format!(
                    "`{}`: {message}; read-only stays on, as a read-only setting that cannot be read fails safe",
                    merged.show_path(&problem.at)
                ),
            });
            let set = user.as_mut().is_some_and(|u| u.set(id, Value::Boolean(true)))
                || defaults.set(id, Value::Boolean(true));
            if set {
                continue;
            }
        }
        let Some(unit) = merged.get(&problem.unit).filter(|_| !problem.unit.is_empty()) else {
            return Err(format!("{}: cannot be left out", KeyPath(&problem.at)));
        };
        notices.push(describe(&problem, &merged, unit, &defaults));
        let id = unit.id;
        let removed = user.as_mut().is_some_and(|u| u.remove(id)) || defaults.remove(id);
        if !removed {
            return Err(format!("{}: cannot be left out", KeyPath(&problem.at)));
        }
    }
}

/// The user's file over the defaults. Bindings add up instead of replacing
/// the list: the user's of a context come after the built-in ones, and win.
fn merged(defaults: &Node, user: Option<&Node>) -> Node {
    let mut merged = defaults.clone();
    let Some(user) = user else {
        return merged;
    };
    let mut user = user.clone();
    if let (Some(over), Some(base)) = (user.get_mut("keymap"), merged.get_mut("keymap"))
        && let (Value::Table(contexts), Value::Table(_)) = (&mut over.value, &base.value)
    {
        let mut rest = Vec::new();
        for (context, list) in std::mem::take(contexts) {
            match (base.get_mut(&context), list) {
                (
                    Some(Node {
                        value: Value::Array(items),
                        ..
                    }),
                    Node {
                        value: Value::Array(more),
                        ..
                    },
                ) => items.extend(more),
                (_, list) => rest.push((context, list)),
            }
        }
        *contexts = rest;
    }
    merged.merge(user);
    merged
}

fn describe(problem: &Problem, merged: &Node, unit: &Node, defaults: &Node) -> Notice {
    // The deepest node on the path that exists is where it was written.
    let origin = (0..=problem.at.len())
        .rev()
        .find_map(|len| merged.get(&problem.at[..len]))
        .map_or(unit.origin, |n| n.origin);
    let at = merged.show_path(&problem.at);
    let text = match &problem.kind {
        DeErrorKind::UnknownKey { expected } => {
            let name = match problem.at.last() {
                Some(Segment::Key(name)) => name.as_str(),
                _ => "",
            };
            let hint = match nearest(name, expected) {
                Some(near) => format!("did you mean `{near}`?"),
                None if expected.is_empty() => "nothing can be set here".to_owned(),
                None => format!("known keys here: {}", expected.join(", ")),
            };
            format!("unknown key `{at}` ignored; {hint}")
        }
        DeErrorKind::Unusable(message) => {
            let outcome = if problem.unit_is_entry {
                format!("{} is left out", entry_name(merged, &problem.unit, unit))
            } else if unit.origin.source == Source::BuiltIn {
                "it is ignored".to_owned()
            } else {
                match defaults.get(&problem.unit) {
                    Some(default) => match default.render() {
                        Some(value) => format!("using the built-in value {value}"),
                        None => "using the built-in settings".to_owned(),
                    },
                    None => "it is ignored".to_owned(),
                }
            };
            match &problem.consequence {
                Some(consequence) => format!("`{at}`: {message}; {outcome}: {consequence}"),
                None => format!("`{at}`: {message}; {outcome}"),
            }
        }
    };
    Notice { origin, text }
}

/// "metrics.panels[2] (\"p99\")", "keymap.list[0] (\"down\")" or
/// "[rollouts.fraud]".
fn entry_name(merged: &Node, path: &[Segment], entry: &Node) -> String {
    let shown = merged.show_path(path);
    if !matches!(path.last(), Some(Segment::Index(_))) {
        return format!("[{shown}]");
    }
    let named = ["name", "run"]
        .iter()
        .find_map(|key| match entry.get(&[Segment::key(key)]).map(|n| &n.value) {
            Some(Value::String(name)) if !name.is_empty() => Some(name),
            _ => None,
        });
    match named {
        Some(name) => format!("{shown} ({name:?})"),
        None => shown,
    }
}

/// The known key nearest to `name`, if it is near enough to be a typo.
fn nearest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&name.to_lowercase(), k), *k))
        .filter(|(distance, k)| *distance <= (k.chars().count() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_key_and_strangers_do_not() {
        let known = ["source", "refresh", "timeout", "concurrency"];
        assert_eq!(nearest("refesh", &known), Some("refresh"));
        assert_eq!(nearest("Refresh", &known), Some("refresh"));
        assert_eq!(nearest("timout", &known), Some("timeout"));
        assert_eq!(nearest("concurency", &known), Some("concurrency"));
        assert_eq!(nearest("colour", &known), None);
    }
}
