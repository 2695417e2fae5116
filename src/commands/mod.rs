//! The subcommands: plain output for people and scripts. Exit status 0 is
//! success, 1 a refusal or failure (reason on stderr), 2 a usage error.

pub mod demo;
pub mod guard;
pub mod info;
pub mod models;
pub mod ops_cli;
pub mod plot;
pub mod predict;
mod predict_out;
mod predict_progress;
pub mod rollouts;
pub mod table;

/// Why a subcommand failed, typed to the exit: the cluster's error or the
/// operation's, in their own words.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Kube(#[from] crate::backends::kube::KubeError),
    #[error(transparent)]
    Ops(#[from] crate::ops::OpsError),
    #[error("{0}")]
    Failed(String),
}
