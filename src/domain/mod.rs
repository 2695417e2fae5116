//! Plain data shared by every layer. No IO lives here.

pub mod model;

pub use model::{Model, ModelVersion, RunMetrics, Stage};
pub mod ab;
pub mod alerting;
pub mod audit;
pub mod guard;
pub mod rollout;
pub mod traffic;
pub mod version;

pub use audit::AuditEntry;
