//! `:` commands: one table (name, other names, arguments, what they
//! complete from, help text) that parsing, completion and the help screen
//! all read, and typed commands with messages for mistakes.

use super::ViewId;
use crate::domain::operation::OpKind;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    View(ViewId),
    /// `:ns NAME`; `None` asks for the choices.
    Namespace(Option<String>),
    /// `:ctx NAME`; `None` asks for the choices.
    Context(Option<String>),
    /// The Metrics view's time range ("15m").
    Range(String),
    Help,
    Quit,
    /// A mutating action on the selected rollout (it asks first).
    Op(OpKind),
    /// A file for the Predict view to run on.
    Input(std::path::PathBuf),
}

/// What an argument completes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Context,
    Namespace,
    Range,
    Revision,
    /// `set`, `step`, `abort`, `promote`.
    CanaryMove,
    /// A percent on the rollout's ladder.
    Percent,
    /// A percent, or `off`.
    Shadow,
    Service,
    Version,
}

/// One `:` command.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Its arguments, as the help shows them.
    pub args: &'static str,
    pub help: &'static str,
    /// What each argument completes from, in order.
    pub completes: &'static [Choice],
}

const fn view(name: &'static str, aliases: &'static [&'static str], help: &'static str) -> Spec {
    Spec {
        name,
        aliases,
        args: "",
        help,
        completes: &[],
    }
}

/// Every command, in the order the help lists them.
pub const COMMANDS: &[Spec] = &[
    view("models", &["model", "mo", "registry"], "model registry versions"),
    view(
        "rollouts",
        &["rollout", "ro", "deploy", "deployments"],
        "Kubernetes rollouts",
    ),
    view("metrics", &["metric", "me"], "live metrics per version"),
    view("predict", &["pred", "pr"], "local ONNX predictions"),
    view("alerts", &["alert", "al"], "active alerts and the guard"),
    view("audit", &["au"], "log of operator actions"),
    view("log", &["messages", "msg"], "every message of this session, whole"),
    Spec {
        name: "ns",
        aliases: &["namespace"],
        args: "[NAME]",
        help: "switch namespace (all: every one); alone, list them",
        completes: &[Choice::Namespace],
    },
    Spec {
        name: "ctx",
        aliases: &["context"],
        args: "[NAME]",
        help: "switch Kubernetes context; alone, list them",
        completes: &[Choice::Context],
    },
    Spec {
        name: "range",
        aliases: &[],
        args: "R",
        help: "metrics over the last 5m, 15m, 1h or 6h",
        completes: &[Choice::Range],
    },
    Spec {
        name: "rollback",
        aliases: &["undo"],
        args: "[N]",
        help: "selected rollout to revision N (or previous)",
        completes: &[Choice::Revision],
    },
    Spec {
        name: "canary",
        aliases: &[],
        args: "set P|step|abort|promote",
        help: "canary to P%, the next rung, 0%, or the stable side",
        completes: &[Choice::CanaryMove, Choice::Percent],
    },
    Spec {
        name: "shadow",
        aliases: &[],
        args: "P|off",
        help: "mirror P% to the shadow, or stop",
        completes: &[Choice::Shadow],
    },
    Spec {
        name: "switch",
        aliases: &[],
        args: "SVC VER",
        help: "point Service SVC at version VER",
        completes: &[Choice::Service, Choice::Version],
    },
    Spec {
        name: "back",
        aliases: &[],
        args: "SVC",
        help: "point Service SVC back",
        completes: &[Choice::Service],
    },
    Spec {
        name: "input",
        aliases: &[],
        args: "PATH",
        help: "predict on a file: .json, .jsonl, .csv or .npy",
        completes: &[],
    },
    view("help", &["h", "?"], "this help"),
    view("q", &["quit", "q!", "exit"], "quit"),
];

/// The command `verb` names.
pub fn spec(verb: &str) -> Option<&'static Spec> {
    COMMANDS.iter().find(|s| s.name == verb || s.aliases.contains(&verb))
}

/// What the arguments can be, known from the console's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choices {
    pub contexts: Vec<String>,
    pub namespaces: Vec<String>,
    pub services: Vec<String>,
    pub versions: Vec<String>,
    pub revisions: Vec<i64>,
    pub percents: Vec<u32>,
}

impl Choices {
    fn of(&self, choice: Choice) -> Vec<String> {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect();
        match choice {
            Choice::Context => self.contexts.clone(),
            Choice::Namespace => {
                let mut all = self.namespaces.clone();
                all.push(crate::backends::kube::client::ALL_NAMESPACES.to_owned());
                all
            }
            Choice::Range => words(&["5m", "15m", "1h", "6h"]),
            Choice::Revision => self.revisions.iter().map(ToString::to_string).collect(),
            Choice::CanaryMove => words(&["set", "step", "abort", "promote"]),
            Choice::Percent => self.percents.iter().map(ToString::to_string).collect(),
            Choice::Shadow => {
                let mut all: Vec<String> = self.percents.iter().map(ToString::to_string).collect();
                all.push("off".into());
                all
            }
            Choice::Service => self.services.clone(),
            Choice::Version => self.versions.clone(),
        }
    }
}

/// Completes the word being typed in `line`: the command name, or its
/// argument from `choices`. The completed line when exactly one fits,
/// else the candidates that fit.
pub fn complete(line: &str, choices: &Choices) -> Result<String, Vec<String>> {
    let text = line.trim_start();
    let mut words: Vec<&str> = text.split(' ').collect();
    let typing = words.pop().unwrap_or_default();
    let candidates: Vec<String> = match words.as_slice() {
        [] => COMMANDS.iter().map(|s| s.name.to_owned()).collect(),
        [verb, args @ ..] => {
            let Some(spec) = spec(verb.trim_start_matches(':')) else {
                return Err(Vec::new());
            };
            // `:canary set P`: the percent follows `set`; other moves end.
            let at = match (spec.name, args) {
                ("canary", [m]) if *m != "set" => return Err(Vec::new()),
                _ => args.len(),
            };
            match spec.completes.get(at) {
                Some(choice) => choices.of(*choice),
                None => return Err(Vec::new()),
            }
        }
    };
    let mut fits: Vec<String> = candidates.into_iter().filter(|c| c.starts_with(typing)).collect();
    fits.dedup();
    match fits.as_slice() {
        [one] => {
            let mut done: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
            done.push(one.clone());
            let line = done.join(" ");
            // A command that takes arguments is followed by a space.
            let more = match done.as_slice() {
                [verb] => spec(verb).is_some_and(|s| !s.completes.is_empty()),
                [verb, m] => spec(verb).is_some_and(|s| s.name == "canary" && m == "set" || s.name == "switch"),
                _ => false,
            };
            Ok(if more { format!("{line} ") } else { line })
        }
        _ => Err(fits),
    }
}

pub fn parse(line: &str) -> Result<Command, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(verb) = words.first() else {
        return Err("empty command; try :models, :rollouts, :ns NAME or ? for help".into());
    };
    let verb = verb.trim_start_matches(':');
    let Some(spec) = spec(verb) else {
        let names: Vec<String> = COMMANDS.iter().map(|s| format!(":{}", s.name)).collect();
        return Err(format!("unknown command :{verb}; the commands are {}", names.join(" ")));
    };
    let args = &words[1..];
    if let Some(op) = op_command(spec.name, args) {
        return op.map(Command::Op);
    }
    if let Some(view) = ViewId::from_name(spec.name) {
        return no_arg(verb, args, Command::View(view));
    }
    match (spec.name, args) {
        ("q", _) => no_arg(verb, args, Command::Quit),
        ("help", _) => no_arg(verb, args, Command::Help),
        ("ns", []) => Ok(Command::Namespace(None)),
        ("ns", [name]) => valid_namespace(name).map(|n| Command::Namespace(Some(n))),
        ("ctx", []) => Ok(Command::Context(None)),
        ("ctx", [name]) => Ok(Command::Context(Some((*name).to_owned()))),
        ("range", [range]) => Ok(Command::Range((*range).to_owned())),
        ("range", []) => Err(":range needs a range: 5m, 15m, 1h or 6h".into()),
        // A path may hold spaces: the rest of the line is the path.
        ("input", [_, ..]) => Ok(Command::Input(args.join(" ").into())),
        ("input", []) => Err(":input needs a file: .json, .jsonl, .csv or .npy".into()),
        (name, [_, extra, ..]) => Err(format!("unexpected {extra:?} after :{name} {}", args[0])),
        (name, _) => Err(format!("usage: :{name} {}", spec.args)),
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
        ("rollback", []) => Ok(OpKind::Rollback(None)),
        ("rollback", [n]) => match n.parse::<i64>() {
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
        ("rollback", _) => Err("usage: :rollback [REVISION]".into()),
        _ => return None,
    })
}

fn no_arg(verb: &str, args: &[&str], command: Command) -> Result<Command, String> {
    match args.first() {
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
        assert_eq!(parse("ns prod"), Ok(Command::Namespace(Some("prod".into()))));
        assert_eq!(parse("ns"), Ok(Command::Namespace(None)));
        assert_eq!(parse("ctx staging"), Ok(Command::Context(Some("staging".into()))));
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert_eq!(parse("log"), Ok(Command::View(ViewId::Log)));
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
    fn completion_fills_names_and_arguments_from_what_is_known() {
        let choices = Choices {
            contexts: vec!["prod-eu".into(), "prod-us".into(), "staging".into()],
            namespaces: vec!["ml-serving".into(), "default".into()],
            services: vec!["malaria-predictor-blue".into(), "malaria-predictor-green".into()],
            versions: vec!["2.0.5".into(), "2.1.0".into()],
            revisions: vec![1, 2],
            percents: vec![5, 10, 25, 50, 100],
        };
        let c = |line: &str| complete(line, &choices);
        assert_eq!(c("ro"), Err(vec!["rollouts".into(), "rollback".into()]));
        assert_eq!(c("rollo"), Ok("rollouts".into()));
        assert_eq!(c("n"), Ok("ns ".into()));
        assert_eq!(c("ctx s"), Ok("ctx staging".into()));
        assert_eq!(c("ctx prod"), Err(vec!["prod-eu".into(), "prod-us".into()]));
        assert_eq!(c("ns ml"), Ok("ns ml-serving".into()));
        assert_eq!(c("canary s"), Err(vec!["set".into(), "step".into()]));
        assert_eq!(c("canary se"), Ok("canary set ".into()));
        assert_eq!(c("canary set 2"), Ok("canary set 25".into()));
        assert_eq!(c("canary step "), Err(vec![]));
        assert_eq!(
            c("switch malaria-predictor-b"),
            Ok("switch malaria-predictor-blue ".into())
        );
        assert_eq!(
            c("switch malaria-predictor-blue 2.1"),
            Ok("switch malaria-predictor-blue 2.1.0".into())
        );
        assert_eq!(c("rollback "), Err(vec!["1".into(), "2".into()]));
        assert_eq!(c("shadow o"), Ok("shadow off".into()));
        assert_eq!(c("zz"), Err(vec![]));
    }
}
