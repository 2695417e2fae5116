//! Kubernetes: connection from the kubeconfig, rollout status computed as
//! kubectl does, revision history, pods. No UI code here.

pub mod client;
pub mod clock;
pub mod error;
pub mod history;
pub mod objects;
pub mod pods;
pub mod rollouts;
pub mod routers;
pub mod status;
pub mod watch;
pub mod writes;

pub use client::{Connection, KubeTarget, connect};
pub use error::{KubeError, WatchError};
