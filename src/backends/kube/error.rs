//! Errors from the cluster, in words an operator can act on.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KubeError {
    #[error("kubeconfig {path}: {reason}")]
    Kubeconfig { path: PathBuf, reason: String },
    #[error("context {context:?} is not in the kubeconfig {path}; its contexts are: {known}")]
    UnknownContext {
        context: String,
        path: PathBuf,
        known: String,
    },
    #[error("cannot reach the cluster at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    /// The API server refused: 401, 403, 404, 409, 422, 500 …
    #[error("{message} ({code} {reason})")]
    Api { code: u16, reason: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl KubeError {
    pub fn is_conflict(&self) -> bool {
        matches!(self, KubeError::Api { code: 409, .. })
    }

    pub fn from_kube(error: kube::Error, server: &str) -> KubeError {
        match error {
            kube::Error::Api(status) => KubeError::Api {
                code: status.code,
                reason: status.reason.clone(),
                message: crate::text::clean(&status.message),
            },
            kube::Error::HyperError(e) => KubeError::Unreachable {
                server: server.to_owned(),
                reason: e.to_string(),
            },
            kube::Error::Service(e) => KubeError::Unreachable {
                server: server.to_owned(),
                reason: e.to_string(),
            },
            other => KubeError::Other(crate::text::clean(&other.to_string())),
        }
    }
}
