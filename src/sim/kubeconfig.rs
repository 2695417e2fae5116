//! The kubeconfig that points kubectl, modeldeck and kube-rs clients at a
//! simulated cluster. Written as JSON, which every kubeconfig reader
//! accepts (JSON is YAML).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::api::auth::{ADMIN_TOKEN, VIEWER_TOKEN};

pub const CONTEXT: &str = "modeldeck-sim";
pub const READONLY_CONTEXT: &str = "modeldeck-sim-readonly";

pub fn kubeconfig(server_url: &str, ca_pem: &str, namespace: &str) -> Value {
    let context = |name: &str, user: &str| json!({"name": name, "context": {"cluster": "modeldeck-sim", "user": user, "namespace": namespace}});
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "modeldeck-sim", "cluster": {
            "server": server_url,
            "certificate-authority-data": BASE64.encode(ca_pem),
        }}],
        "users": [
            {"name": "operator", "user": {"token": ADMIN_TOKEN}},
            {"name": "viewer", "user": {"token": VIEWER_TOKEN}},
        ],
        "contexts": [context(CONTEXT, "operator"), context(READONLY_CONTEXT, "viewer")],
        "current-context": CONTEXT,
        "preferences": {},
    })
}

/// Writes the kubeconfig to `path`, readable by its owner only (it holds
/// tokens), replacing it atomically so a reader never sees half a file.
pub fn write(path: &Path, server_url: &str, ca_pem: &str, namespace: &str) -> std::io::Result<()> {
    let text =
        serde_json::to_string_pretty(&kubeconfig(server_url, ca_pem, namespace)).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)
}
