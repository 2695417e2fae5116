//! `:` commands, parsed into typed commands with messages for mistakes.

use super::ViewId;
use super::action::OpKind;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    View(ViewId),
    Namespace(String),
    Context(String),
    /// The Metrics view's time range ("15m").
    Range(String),
    Help,
    Quit,
    /// A mutating action on the selected rollout (it asks first).
    Op(OpKind),
}

/// The commands, for the help screen and for "did you mean" messages.
pub const COMMANDS: [(&str, &str); 17] = [
    (":models", "model registry versions"),
    (":rollouts", "Kubernetes rollouts"),
    (":metrics", "live metrics per version"),
    (":predict", "local ONNX predictions"),
    (":alerts", "active alerts"),
    (":audit", "log of operator actions"),
    (":ns NAME", "switch namespace (all: every namespace)"),
    (":ctx NAME", "switch Kubernetes context"),
    (":range R", "metrics over the last 5m, 15m, 1h or 6h"),
    (":rollback [N]", "selected rollout to revision N (or previous)"),
    (":canary set P", "canary to P% (also step, abort, promote)"),
    (":shadow P|off", "mirror P% to the shadow, or stop"),
    (":switch SVC VER", "point Service SVC at version VER"),
    (":back SVC", "point Service SVC back"),
    (":help", "this help"),
    (":q", "quit"),
    (":quit", "quit"),
];

/// Command names for tab completion, with whether they take an argument.
const VERBS: [(&str, bool); 16] = [
    ("models", false),
    ("rollouts", false),
    ("metrics", false),
    ("predict", false),
    ("alerts", false),
    ("audit", false),
    ("ns", true),
    ("ctx", true),
    ("range", true),
    ("rollback", false),
    ("canary", true),
    ("shadow", true),
    ("switch", true),
    ("back", true),
    ("help", false),
    ("quit", false),
];

/// Completes the command name in `line`: the completed line when exactly
/// one name fits, else the names that fit (none when the line already has
/// an argument).
pub fn complete(line: &str) -> Result<String, Vec<&'static str>> {
    let prefix = line.trim_start();
    if prefix.contains(' ') {
        return Err(Vec::new());
    }
    let fits: Vec<(&str, bool)> = VERBS.into_iter().filter(|(v, _)| v.starts_with(prefix)).collect();
    match fits.as_slice() {
        [(verb, takes_arg)] => Ok(if *takes_arg {
            format!("{verb} ")
        } else {
            (*verb).to_owned()
        }),
        _ => Err(fits.into_iter().map(|(v, _)| v).collect()),
    }
}

pub fn parse(line: &str) -> Result<Command, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(verb) = words.first() else {
        return Err("empty command; try :models, :rollouts, :ns NAME or ? for help".into());
    };
    let verb = verb.trim_start_matches(':');
    if let Some(op) = op_command(verb, &words[1..]) {
        return op.map(Command::Op);
    }
    let mut words = words.into_iter().skip(1);
    let arg = words.next();
    if let Some(extra) = words.next() {
        return Err(format!("unexpected {extra:?} after :{verb} {}", arg.unwrap_or("")));
    }
    if let Some(view) = view_alias(verb) {
        return no_arg(verb, arg, Command::View(view));
    }
    match verb {
        "q" | "q!" | "quit" | "exit" => no_arg(verb, arg, Command::Quit),
        "help" | "h" | "?" => no_arg(verb, arg, Command::Help),
        "ns" | "namespace" => match arg {
            Some(name) => valid_namespace(name).map(Command::Namespace),
            None => Err(format!(
                ":{verb} needs a namespace name, e.g. :{verb} prod (or :{verb} all)"
            )),
        },
        "range" => match arg {
            Some(range) => Ok(Command::Range(range.to_owned())),
            None => Err(":range needs a range: 5m, 15m, 1h or 6h".into()),
        },
        "ctx" | "context" => match arg {
            Some(name) => Ok(Command::Context(name.to_owned())),
            None => Err(format!(":{verb} needs a context name, e.g. :{verb} staging")),
        },
        _ => Err(format!(
            "unknown command :{verb}; try :models, :rollouts, :metrics, :predict, :alerts, :audit, :ns, :ctx, :q"
        )),
    }
}

/// The action commands; `None` when `verb` is not one of them.
fn op_command(verb: &str, args: &[&str]) -> Option<Result<OpKind, String>> {
    let percent = |p: &str| -> Result<u32, String> {
        match p.trim_end_matches('%').parse::<u32>() {
            Ok(n) if n <= 100 => Ok(n),
            _ => Err(format!("a percent is a whole number from 0 to 100, not {p:?}")),
        }
    };
    Some(match (verb, args) {
        ("rollback" | "undo", []) => Ok(OpKind::Rollback(None)),
        ("rollback" | "undo", [n]) => match n.parse::<i64>() {
            Ok(n) if n > 0 => Ok(OpKind::Rollback(Some(n))),
            _ => Err(format!("a revision is a positive number, not {n:?}")),
        },
        ("canary", ["set", p]) => percent(p).map(OpKind::CanarySet),
        ("canary", ["step"]) => Ok(OpKind::CanaryStep),
        ("canary", ["abort"]) => Ok(OpKind::CanaryAbort),
        ("canary", ["promote"]) => Ok(OpKind::CanaryPromote),
        ("canary", _) => Err("usage: :canary set PERCENT | step | abort | promote".into()),
        ("shadow", ["off"]) => Ok(OpKind::ShadowOff),
        ("shadow", [p]) => percent(p).map(OpKind::ShadowOn),
        ("shadow", _) => Err("usage: :shadow PERCENT | off".into()),
        ("switch", [service, version]) => Ok(OpKind::BlueGreenSwitch {
            service: (*service).to_owned(),
            version: (*version).to_owned(),
        }),
        ("switch", _) => Err("usage: :switch SERVICE VERSION, e.g. :switch malaria-predictor-blue 2.1.0".into()),
        ("back", [service]) => Ok(OpKind::BlueGreenBack {
            service: (*service).to_owned(),
        }),
        ("back", _) => Err("usage: :back SERVICE".into()),
        ("rollback" | "undo", _) => Err("usage: :rollback [REVISION]".into()),
        _ => return None,
    })
}

fn view_alias(verb: &str) -> Option<ViewId> {
    ViewId::from_name(verb).or(match verb {
        "model" | "mo" | "registry" => Some(ViewId::Models),
        "rollout" | "ro" | "deploy" | "deployments" => Some(ViewId::Rollouts),
        "metric" | "me" => Some(ViewId::Metrics),
        "pred" | "pr" => Some(ViewId::Predict),
        "alert" | "al" => Some(ViewId::Alerts),
        "au" => Some(ViewId::Audit),
        _ => None,
    })
}

fn no_arg(verb: &str, arg: Option<&str>, command: Command) -> Result<Command, String> {
    match arg {
        None => Ok(command),
        Some(a) => Err(format!(":{verb} takes no argument, found {a:?}")),
    }
}

/// A Kubernetes namespace name is a DNS-1123 label; `all` means every one.
fn valid_namespace(name: &str) -> Result<String, String> {
    let ok = name.len() <= 63
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "namespace {name:?} is not valid: expected at most 63 lowercase letters, digits or '-', \
             starting and ending with a letter or digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_and_mistakes_are_explained() {
        assert_eq!(parse("models"), Ok(Command::View(ViewId::Models)));
        assert_eq!(parse(" ro "), Ok(Command::View(ViewId::Rollouts)));
        assert_eq!(parse("ns prod"), Ok(Command::Namespace("prod".into())));
        assert_eq!(parse("ctx staging"), Ok(Command::Context("staging".into())));
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert!(parse("ns").unwrap_err().contains("needs a namespace"));
        assert!(parse("ns Prod_1").unwrap_err().contains("not valid"));
        assert!(parse("models now").unwrap_err().contains("takes no argument"));
        assert!(parse("frobnicate").unwrap_err().contains("unknown command :frobnicate"));
        assert!(parse("").is_err());
    }

    #[test]
    fn action_commands_parse_with_clear_mistakes() {
        assert_eq!(parse("canary set 30"), Ok(Command::Op(OpKind::CanarySet(30))));
        assert_eq!(parse("canary set 30%"), Ok(Command::Op(OpKind::CanarySet(30))));
        assert_eq!(parse("rollback 3"), Ok(Command::Op(OpKind::Rollback(Some(3)))));
        assert_eq!(parse("undo"), Ok(Command::Op(OpKind::Rollback(None))));
        assert_eq!(parse("shadow off"), Ok(Command::Op(OpKind::ShadowOff)));
        assert_eq!(
            parse("switch blue 2.1.0"),
            Ok(Command::Op(OpKind::BlueGreenSwitch {
                service: "blue".into(),
                version: "2.1.0".into()
            }))
        );
        assert!(parse("canary set 150").unwrap_err().contains("from 0 to 100"));
        assert!(parse("canary set ten").unwrap_err().contains("\"ten\""));
        assert!(parse("rollback -1").unwrap_err().contains("positive"));
        assert!(parse("canary").unwrap_err().starts_with("usage"));
        assert!(parse("switch blue").unwrap_err().starts_with("usage"));
    }

    #[test]
    fn completion_fills_a_unique_name_and_lists_the_rest() {
        assert_eq!(complete("ro"), Err(vec!["rollouts", "rollback"]));
        assert_eq!(complete("rollo"), Ok("rollouts".into()));
        assert_eq!(complete("n"), Ok("ns ".into()));
        assert_eq!(complete("m"), Err(vec!["models", "metrics"]));
        assert_eq!(complete("ns pr"), Err(vec![]));
        assert_eq!(complete("zz"), Err(vec![]));
    }
}
