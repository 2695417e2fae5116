//! Connecting to a cluster the way kubectl does: the kubeconfig from
//! `--kubeconfig`/settings, else every file in `$KUBECONFIG` merged as kubectl
//! merges them, else `~/.kube/config`; the
//! context from `--context`, else the kubeconfig's current one; the
//! namespace from `--namespace`, else the context's, else `default`.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use super::KubeError;
use crate::domain::version::VersionRule;

/// The namespace name that means every namespace (`:ns all`, `-n all`).
pub const ALL_NAMESPACES: &str = "all";

/// How long a connection or a request may take before it counts as lost.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KubeTarget {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    /// Longest wait for a connection or an answer [default: 10 s].
    pub timeout: Option<Duration>,
    /// How a pod template's version is read (`kubernetes.version_from`).
    pub versions: VersionRule,
}

#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    pub context: String,
    pub namespace: String,
    /// The kubeconfig user, for the audit log.
    pub user: String,
    pub server: String,
    /// `--namespace all` / `:ns all`: lists and watches span every
    /// namespace; `namespace` stays the context's, for writes.
    pub all_namespaces: bool,
    /// How every reader of this cluster tells a template's version.
    pub versions: VersionRule,
    /// Every context of the kubeconfig, for `:ctx` to offer and check.
    pub contexts: Vec<String>,
}

impl Connection {
    /// The namespaces the user may list, or `None` when it may not (then
    /// `:ns` cannot check a name before switching to it).
    pub async fn namespaces(&self) -> Option<Vec<String>> {
        let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(self.client.clone());
        let list = api.list(&kube::api::ListParams::default()).await.ok()?;
        let mut names: Vec<String> = list
            .items
            .iter()
            .filter_map(|n| n.metadata.name.as_deref().map(crate::text::clean))
            .collect();
        names.sort();
        Some(names)
    }

    /// The same connection, acting in `namespace`.
    pub fn in_namespace(&self, namespace: &str) -> Connection {
        Connection {
            namespace: namespace.to_owned(),
            all_namespaces: false,
            ..self.clone()
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Connection({} {} ns={})", self.context, self.server, self.namespace)
    }
}

/// The kubeconfig files to read, as kubectl finds them: the one named,
/// else every path in `$KUBECONFIG` (colon-separated), else the home's.
fn kubeconfig_paths(named: Option<&PathBuf>, env: Option<std::ffi::OsString>, home: Option<PathBuf>) -> Vec<PathBuf> {
    if let Some(path) = named {
        return vec![path.clone()];
    }
    let listed: Vec<PathBuf> = env
        .iter()
        .flat_map(std::env::split_paths)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    vec![home.unwrap_or_default().join(".kube/config")]
}

/// The kubeconfig, merged from `paths` as kubectl merges `$KUBECONFIG`
/// (the first file to set a value wins; files that do not exist are
/// skipped while one does), and how messages name it.
fn read_merged(paths: &[PathBuf]) -> Result<(Kubeconfig, PathBuf), KubeError> {
    let shown = PathBuf::from(std::env::join_paths(paths).unwrap_or_default());
    let present: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    let read: Vec<&PathBuf> = if present.is_empty() {
        paths.iter().collect()
    } else {
        present
    };
    let mut merged: Option<Kubeconfig> = None;
    for path in read {
        let config = Kubeconfig::read_from(path).map_err(|e| KubeError::Kubeconfig {
            path: path.clone(),
            // kube's own message repeats the path, quoted twice over.
            reason: crate::text::clean(&match e {
                KubeconfigError::ReadConfig(io, _) => format!("cannot read it: {io}"),
                other => other.to_string(),
            }),
        })?;
        merged = Some(match merged {
            None => config,
            Some(first) => first.merge(config).map_err(|e| KubeError::Kubeconfig {
                path: path.clone(),
                reason: crate::text::clean(&format!("cannot merge it with the files before it: {e}")),
            })?,
        });
    }
    Ok((merged.unwrap_or_default(), shown))
}

fn read_kubeconfig(target: &KubeTarget) -> Result<(Kubeconfig, PathBuf), KubeError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    read_merged(&kubeconfig_paths(
        target.kubeconfig.as_ref(),
        std::env::var_os("KUBECONFIG"),
        home,
    ))
}

pub async fn connect(target: &KubeTarget) -> Result<Connection, KubeError> {
    let (kubeconfig, path) = read_kubeconfig(target)?;
    let context = match &target.context {
        Some(context) => context.clone(),
        None => kubeconfig.current_context.clone().unwrap_or_default(),
    };
    let named = kubeconfig.contexts.iter().find(|c| c.name == context);
    let Some(named) = named else {
        let known: Vec<&str> = kubeconfig.contexts.iter().map(|c| c.name.as_str()).collect();
        return Err(KubeError::UnknownContext {
            context,
            path,
            known: known.join(", "),
        });
    };
    let user = named.context.as_ref().and_then(|c| c.user.clone()).unwrap_or_default();
    let known: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| KubeError::Kubeconfig {
            path: path.clone(),
            reason: crate::text::clean(&e.to_string()),
        })?;
    let timeout = target.timeout.unwrap_or(TIMEOUT);
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    let all_namespaces = target.namespace.as_deref() == Some(ALL_NAMESPACES);
    if let Some(namespace) = target.namespace.as_ref().filter(|_| !all_namespaces) {
        config.default_namespace = namespace.clone();
    }
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| KubeError::from_kube(e, &server))?;
    Ok(Connection {
        client,
        context,
        namespace,
        user,
        server,
        all_namespaces,
        versions: target.versions.clone(),
        contexts: known.into_iter().map(|c| crate::text::clean(&c)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(current: &str, context: &str, server: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n- name: {context}\n  cluster:\n    server: {server}\ncontexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: {context}\nusers:\n- name: {context}\n  user:\n    token: t\n"
        )
    }

    #[test]
    fn every_path_in_kubeconfig_is_read_and_merged_first_wins() {
        let dir = std::env::temp_dir().join(format!("modeldeck-kubeconfig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a"), dir.join("b"));
        std::fs::write(&a, kubeconfig("one", "one", "https://127.0.0.1:1")).unwrap();
        std::fs::write(&b, kubeconfig("two", "two", "https://127.0.0.1:2")).unwrap();
        let env = std::env::join_paths([dir.join("missing"), a.clone(), b.clone()]).unwrap();
        let paths = kubeconfig_paths(None, Some(env), None);
        assert_eq!(paths.len(), 3);
        let (config, shown) = read_merged(&paths).unwrap();
        let names: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["one", "two"]);
        // The first file to set the current context wins, as in kubectl.
        assert_eq!(config.current_context.as_deref(), Some("one"));
        assert!(shown.to_string_lossy().contains(&*a.to_string_lossy()));
        // A file named with --kubeconfig is the only one read.
        assert_eq!(kubeconfig_paths(Some(&b), Some("x:y".into()), None), [b]);
        // Without $KUBECONFIG, the home's.
        assert_eq!(
            kubeconfig_paths(None, Some("".into()), Some("/home/o".into())),
            [PathBuf::from("/home/o/.kube/config")]
        );
        // None exists: the error names the file.
        let err = read_merged(&[dir.join("missing")]).unwrap_err();
        assert!(err.to_string().contains("missing: cannot read it"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
