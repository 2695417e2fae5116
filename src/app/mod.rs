//! The console's state machine, Elm style: `State`, typed `Action`s, a pure
//! `update` that returns `Effect`s, and the runner that performs them on
//! tokio tasks and answers with actions tagged by generation.

mod ab_table;
pub mod action;
pub mod alerts;
pub mod cluster_reads;
pub mod command;
pub mod effects;
mod in_flight;
pub mod input;
pub mod keys;
pub mod kube_runner;
pub mod list_cursor;
pub mod metrics;
pub mod metrics_runner;
pub mod metrics_watch;
pub mod outage;
pub mod predict;
pub mod predict_runner;
pub mod registry_rows;
pub mod resource;
pub mod rollout_keys;
pub mod rollouts;
pub mod screen;
pub mod shared;
pub mod state;
pub mod update;

pub use crate::domain::key_action::KeyAction;
pub use crate::domain::view_id::ViewId;
pub use action::{Action, Effect};
pub use state::State;
pub use update::update;
