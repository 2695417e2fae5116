//! The command line. With no subcommand, modeldeck opens the console; every
//! subcommand is a plain, scriptable twin of something the console does.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "modeldeck",
    version,
    about = "A keyboard-driven console for operating ML model deployments"
)]
pub struct Cli {
    /// Configuration file to use instead of <config dir>/config.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Theme: default, light, high-contrast, mono, or a file in <config dir>/themes/.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,

    /// Disable every mutating action.
    #[arg(long, global = true)]
    pub readonly: bool,

    /// Kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Seconds to wait for the cluster before giving up (slow links).
    #[arg(long, global = true, value_name = "SECONDS")]
    pub request_timeout: Option<u64>,

    /// Kubernetes context to use instead of the kubeconfig's current one.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Kubernetes namespace.
    #[arg(short = 'n', long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,

    /// Local registry folder (or its registry.toml), over [registry] path.
    #[arg(long, global = true, value_name = "PATH")]
    pub registry: Option<PathBuf>,

    /// Plain-ASCII status marks instead of Unicode symbols.
    #[arg(long, global = true)]
    pub ascii: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Print every path modeldeck reads and the settings in effect.
    Info,
    /// List the registry's model versions, newest first.
    Models {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Rollout status of one deployment (kubectl's wording), or of all in
    /// the namespace.
    Status {
        deployment: Option<String>,
        /// Every namespace (same as --namespace all).
        #[arg(short = 'A', long)]
        all_namespaces: bool,
        /// Follow the rollout until it finishes (exit 0) or stalls (exit 1).
        #[arg(short, long, requires = "deployment")]
        watch: bool,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Revision history of a deployment: revision, version, images, pods.
    History {
        deployment: String,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Roll a deployment back, as kubectl rollout undo: to the previous
    /// revision, or to --to-revision. Asks first unless --yes.
    Rollback {
        deployment: String,
        #[arg(long, value_name = "N")]
        to_revision: Option<i64>,
        /// Do not ask for confirmation (for scripts).
        #[arg(short, long)]
        yes: bool,
    },
    /// Blue-green: which version each Service points to, and switching it.
    Bluegreen {
        #[command(subcommand)]
        command: BlueGreenCommand,
    },
    /// Canary traffic of a deployment, through its configured router.
    Canary {
        #[command(subcommand)]
        command: CanaryCommand,
    },
    /// Shadow traffic: mirror a percent of a deployment's requests to its
    /// configured shadow backend (answers dropped), or stop.
    Shadow {
        #[command(subcommand)]
        command: ShadowCommand,
    },
    /// Run the simulated world: a Kubernetes API server on loopback with the
    /// demo scenario's deployments, services and route.
    Demo {
        /// Run headless until interrupted, printing how to attach (kubectl,
        /// the CLI, a second console). Without it, the console opens on the
        /// simulated world.
        #[arg(long)]
        serve: bool,
        /// Also write the endpoints as JSON to this file.
        #[arg(long, value_name = "FILE")]
        info_file: Option<PathBuf>,
        /// Folder for the kubeconfig and the modeldeck config it writes
        /// [default: <state dir>/demo].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// How much faster than real time the simulated cluster runs.
        #[arg(long, default_value_t = 10.0)]
        speed: f64,
        /// Port of the /metrics listener on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 0)]
        metrics_port: u16,
        /// Synthetic requests per second arriving at each route.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
    },
    /// Write a metrics panel's chart (one line per version) to a PNG or SVG
    /// file, from the configured metrics source.
    Plot {
        /// The panel's name in [[metrics.panels]] (rate, latency, ...).
        panel: String,
        /// How far back, a Prometheus duration (5m, 1h, 6h).
        #[arg(long, default_value = "1h", value_parser = parse_range)]
        range: Span,
        /// Output file; .png or .svg.
        #[arg(long, value_name = "FILE", value_parser = parse_out)]
        out: PathBuf,
        /// Which quantile of a quantile panel [default: p95].
        #[arg(long, value_name = "STAT")]
        stat: Option<String>,
        /// Fill {deployment} in the panels' matchers.
        #[arg(long, value_name = "NAME", default_value = "")]
        deployment: String,
        /// With source = "scrape" (no history): how long to scrape before
        /// drawing, in seconds (10) or as a duration (30s, 2m).
        #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_collect)]
        collect: Span,
    },
    /// Show a model's signature before running it: inputs and outputs
    /// (names, element types, shapes with their dynamic axes), opsets, IR
    /// version, producer and metadata.
    Inspect {
        /// A file (.onnx), or NAME@VERSION or NAME@ALIAS in the registry.
        model: String,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Run a model locally in ONNX Runtime on sample inputs, a file or
    /// generated rows; with --compare, run two versions on the same rows
    /// and report how they agree. With --out, rows stream to a file.
    #[command(group(clap::ArgGroup::new("rows").required(true).args(["input", "sample", "random"])))]
    Predict {
        /// A file (.onnx), or NAME@VERSION or NAME@ALIAS in the registry.
        #[arg(long, value_name = "MODEL")]
        model: String,
        /// A second model to run on the same rows and compare with.
        #[arg(long, value_name = "MODEL")]
        compare: Option<String>,
        /// Rows from a file: .json, .jsonl, .csv or .npy.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// A named sample in [predict] samples (NAME.json).
        #[arg(long, value_name = "NAME")]
        sample: Option<String>,
        /// N rows of standard normal draws matching the signature.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        random: Option<u64>,
        /// Seed of --random.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Rows per runtime call [default: [predict] batch_size].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        batch_size: Option<u64>,
        /// Intra-op threads per model [default: [predict] threads].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        threads: Option<u64>,
        /// Score at which two versions' decisions are compared [default: [predict] threshold].
        #[arg(long, value_name = "P")]
        threshold: Option<f64>,
        #[arg(short, long, value_enum, default_value_t = PredictOutput::Table)]
        output: PredictOutput,
        /// Write every row's outputs to this file (.csv or .jsonl) as they
        /// are computed; the report goes to stderr.
        #[arg(long, value_name = "FILE", value_parser = parse_predictions_out)]
        out: Option<PathBuf>,
    },
    /// Run the guard headless: evaluate the [[alerts]] rules and, when one
    /// a [guard.DEPLOYMENT] entry names fires, take its action through the
    /// same checked, audited path as the console. Runs until interrupted.
    Guard,
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum BlueGreenCommand {
    /// Services that select by version, and the version each points to.
    Status {
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Point a Service at another version (refused if none of its pods is ready).
    Switch {
        service: String,
        #[arg(long, value_name = "VERSION")]
        to: String,
        #[arg(short, long)]
        yes: bool,
    },
    /// Point a Service back at the version it was switched away from.
    Back {
        service: String,
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum CanaryCommand {
    /// How the deployment's requests are split now.
    Status {
        deployment: String,
        #[arg(short, long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Give the canary PERCENT (0-100) of the requests.
    Set {
        deployment: String,
        #[arg(value_parser = clap::value_parser!(u32).range(0..=100))]
        percent: u32,
        #[arg(short, long)]
        yes: bool,
    },
    /// Move the canary to the next percent of the ladder.
    Step {
        deployment: String,
        #[arg(short, long)]
        yes: bool,
    },
    /// Send every request back to the stable side (0% canary).
    Abort {
        deployment: String,
        #[arg(short, long)]
        yes: bool,
    },
    /// Make the canary the stable side.
    Promote {
        deployment: String,
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ShadowCommand {
    /// Mirror PERCENT (0-100) of the requests to the shadow backend.
    On {
        deployment: String,
        #[arg(value_parser = clap::value_parser!(u32).range(0..=100))]
        percent: u32,
        #[arg(short, long)]
        yes: bool,
    },
    /// Stop mirroring.
    Off {
        deployment: String,
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// How `modeldeck predict` prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PredictOutput {
    Table,
    Json,
    Csv,
}

fn parse_predictions_out(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv" | "jsonl") => Ok(path),
        _ => Err(format!("expected a file ending in .csv or .jsonl, found {text:?}")),
    }
}

/// A length of time as given on the command line, and in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub seconds: f64,
}

/// `--range`: a Prometheus duration, as the console's `:range` takes.
fn parse_range(text: &str) -> Result<Span, String> {
    crate::config::metrics::duration_seconds(text)
        .map(|seconds| Span {
            text: text.to_owned(),
            seconds,
        })
        .ok_or_else(|| "expected a duration like 15m or 1h".to_owned())
}

/// `--collect`: a wait, so a bare number is seconds (as `sleep 10`), or a
/// duration with its unit.
fn parse_collect(text: &str) -> Result<Span, String> {
    let bare = text.parse::<u64>().ok().filter(|n| *n > 0).map(|n| n as f64);
    bare.or_else(|| crate::config::metrics::duration_seconds(text))
        .map(|seconds| Span {
            text: text.to_owned(),
            seconds,
        })
        .ok_or_else(|| "expected seconds (10) or a duration like 30s or 2m".to_owned())
}

/// `--out`: the extension says the format.
fn parse_out(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    crate::plot::Format::of(&path).map(|_| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_takes_bare_seconds_and_durations() {
        assert_eq!(parse_collect("10").map(|s| s.seconds), Ok(10.0));
        assert_eq!(parse_collect("2m").map(|s| s.seconds), Ok(120.0));
        assert!(parse_collect("0").is_err());
        assert!(parse_collect("soon").is_err());
    }
}
