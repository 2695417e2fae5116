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
            kube::Error::HyperError(ref e) => KubeError::Unreachable {
                server: server.to_owned(),
                reason: cause(e).unwrap_or_else(|| crate::text::clean(&error.to_string())),
            },
            kube::Error::Service(ref e) => KubeError::Unreachable {
                server: server.to_owned(),
                reason: cause(e.as_ref()).unwrap_or_else(|| crate::text::clean(&error.to_string())),
            },
            other => KubeError::Other(crate::text::clean(&other.to_string())),
        }
    }
}

pub use crate::backends::net_error::cause;

/// Why a watch stopped, in an operator's words: the API server's refusal
/// with its code ("401 Unauthorized at …: ..."), or why it could not be
/// reached.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WatchError {
    #[error("{code} {reason} at {server}: {message}")]
    Refused {
        code: u16,
        reason: String,
        server: String,
        message: String,
    },
    #[error("{reason} at {server}")]
    Unreachable { server: String, reason: String },
    #[error("{0}")]
    Other(String),
}

impl WatchError {
    pub fn from_watcher(error: &kube::runtime::watcher::Error, server: &str) -> WatchError {
        use kube::runtime::watcher::Error as W;
        let server = server.trim_end_matches('/').to_owned();
        let kube = match error {
            W::InitialListFailed(e) | W::WatchStartFailed(e) | W::WatchFailed(e) => e,
            other => return WatchError::Other(crate::text::clean(&other.to_string())),
        };
        match kube {
            kube::Error::Api(status) => WatchError::Refused {
                code: status.code,
                reason: crate::text::clean(&status.reason),
                server,
                message: crate::text::clean(&status.message),
            },
            other => WatchError::Unreachable {
                server,
                reason: cause(other).unwrap_or_else(|| crate::text::clean(&other.to_string())),
            },
        }
    }
}
