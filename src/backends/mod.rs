//! All input and output: registries, clusters, metric sources, the runtime.
//! Nothing here knows about the terminal UI.

pub mod audit_log;
pub mod kube;
pub mod local;
pub mod metrics;
pub mod mlflow;
pub mod mlflow_registry;
mod mlflow_wire;
pub mod net_error;
pub mod onnx;
pub mod onnx_file;
pub mod panels;
pub mod predict_input;
pub mod prediction;
pub mod prometheus;
pub mod protowire;
pub mod scrape;
pub mod scraper;
