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

/// What went wrong on the way to the API server, in the words an operator
/// acts on ("connection refused", "TLS: unknown authority"), found down
/// the error's chain of causes; `None` when nothing there is known.
pub fn cause(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    let mut deepest = None;
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            let words = match io.kind() {
                ConnectionRefused => Some("connection refused".to_owned()),
                ConnectionReset | ConnectionAborted => Some("the connection was dropped".to_owned()),
                TimedOut => Some("timed out".to_owned()),
                NotFound | AddrNotAvailable => Some("no such host".to_owned()),
                _ => None,
            };
            if words.is_some() {
                return words;
            }
        }
        let text = e.to_string();
        let lower = text.to_ascii_lowercase();
        // Same-named CAs get as far as the signature check.
        if lower.contains("unknownissuer") || lower.contains("unknown issuer") || lower.contains("badsignature") {
            return Some(
                "TLS: unknown authority (the server's certificate is not signed by the kubeconfig's CA)".into(),
            );
        }
        if lower.contains("certificate") && lower.contains("expired") {
            return Some("TLS: the server's certificate has expired".into());
        }
        if lower.contains("notvalidforname") || lower.contains("not valid for name") {
            return Some("TLS: the server's certificate is not for this host name".into());
        }
        if lower.contains("dns error") || lower.contains("failed to lookup address") {
            return Some("no such host".into());
        }
        if lower.contains("timed out") || lower.contains("elapsed") {
            return Some("timed out".into());
        }
        deepest = Some(text);
        next = e.source();
    }
    deepest.map(|t| crate::text::clean(&t))
}

/// A watch's failure in those words: the API server's refusal with its
/// code ("401 Unauthorized: ..."), or why it could not be reached.
pub fn watch_failure(error: &kube::runtime::watcher::Error, server: &str) -> String {
    use kube::runtime::watcher::Error as W;
    let server = server.trim_end_matches('/');
    let kube = match error {
        W::InitialListFailed(e) | W::WatchStartFailed(e) | W::WatchFailed(e) => e,
        other => return crate::text::clean(&other.to_string()),
    };
    match kube {
        kube::Error::Api(status) => format!(
            "{} {} at {server}: {}",
            status.code,
            status.reason,
            crate::text::clean(&status.message)
        ),
        other => match cause(other) {
            Some(words) => format!("{words} at {server}"),
            None => format!("{} at {server}", crate::text::clean(&other.to_string())),
        },
    }
}
