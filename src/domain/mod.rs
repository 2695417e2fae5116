//! Plain data shared by every layer. No IO lives here.

pub mod model;
pub mod operation;
pub mod prediction;
pub mod prediction_run;
pub mod signature;

pub use model::{Model, ModelVersion, RegistryLoad, RunMetrics, Stage};
pub mod ab;
pub mod alerting;
pub mod audit;
pub mod draw;
pub mod guard;
pub mod key_action;
pub mod rollout;
pub mod series;
pub mod traffic;
pub mod version;
pub mod view_id;

pub use audit::AuditEntry;
