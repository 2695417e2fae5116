//! From a request path and query to what it addresses: a discovery
//! document, or a resource (collection, object, subresource).

use std::collections::HashMap;

use crate::sim::error::ApiError;
use crate::sim::resources::{self, ResourceInfo};

#[derive(Debug)]
pub enum Route {
    Version,
    Health,
    /// `/api`: the core group's versions.
    CoreVersions,
    /// `/apis`: every other group.
    Groups,
    /// `/api/v1` or `/apis/GROUP/VERSION`: the resources of one version.
    Resources {
        group: String,
        version: String,
    },
    /// `/apis/GROUP`: one group's versions.
    Group {
        group: String,
    },
    /// `/openapi/v3`: where each group version's document is.
    OpenApiRoot,
    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/GROUP/VERSION`.
    OpenApi {
        group: String,
        version: String,
    },
    Resource(Target),
}

#[derive(Debug, Clone)]
pub struct Target {
    pub info: &'static ResourceInfo,
    /// `None` for cluster-scoped resources and all-namespace lists.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

pub fn parse(path: &str) -> Result<Route, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let not_found = || ApiError::path_not_found(path);
    match segments.as_slice() {
        ["version"] => Ok(Route::Version),
        ["healthz" | "readyz" | "livez"] => Ok(Route::Health),
        ["api"] => Ok(Route::CoreVersions),
        ["apis"] => Ok(Route::Groups),
        ["api", "v1"] => Ok(Route::Resources {
            group: String::new(),
            version: "v1".into(),
        }),
        ["apis", group] => Ok(Route::Group {
            group: (*group).to_owned(),
        }),
        ["apis", group, version] => Ok(Route::Resources {
            group: (*group).to_owned(),
            version: (*version).to_owned(),
        }),
        ["openapi", "v3"] => Ok(Route::OpenApiRoot),
        ["openapi", "v3", "api", "v1"] => Ok(Route::OpenApi {
            group: String::new(),
            version: "v1".into(),
        }),
        ["openapi", "v3", "apis", group, version] => Ok(Route::OpenApi {
            group: (*group).to_owned(),
            version: (*version).to_owned(),
        }),
        ["api", "v1", rest @ ..] => resource_route("", "v1", rest).ok_or_else(not_found),
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest).ok_or_else(not_found),
        _ => Err(not_found()),
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Option<Route> {
    let target = |plural: &str, namespace: Option<&str>, name: Option<&str>, sub: Option<&str>| {
        let info = resources::find(group, version, plural)?;
        // A namespaced path for a cluster-scoped kind does not exist.
        if namespace.is_some() && !info.namespaced {
            return None;
        }
        if let Some(sub) = sub
            && !info.subresources.contains(&sub)
        {
            return None;
        }
        Some(Route::Resource(Target {
            info,
            namespace: namespace.map(str::to_owned),
            name: name.map(str::to_owned),
            subresource: sub.map(str::to_owned),
        }))
    };
    match rest {
        // The namespace object itself and its subresources.
        ["namespaces", name] if group.is_empty() => target("namespaces", None, Some(name), None),
        ["namespaces", name, sub @ ("status" | "finalize")] if group.is_empty() => {
            target("namespaces", None, Some(name), Some(sub))
        }
        ["namespaces", ns, plural] => target(plural, Some(ns), None, None),
        ["namespaces", ns, plural, name] => target(plural, Some(ns), Some(name), None),
        ["namespaces", ns, plural, name, sub] => target(plural, Some(ns), Some(name), Some(sub)),
        [plural] => target(plural, None, None, None),
        [plural, name] => target(plural, None, Some(name), None),
        [plural, name, sub] => target(plural, None, Some(name), Some(sub)),
        _ => None,
    }
}

/// Decoded query parameters (the last value wins for repeated keys).
pub fn query(query: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(path: &str) -> Target {
        match parse(path) {
            Ok(Route::Resource(t)) => t,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn paths_address_resources() {
        let t = resource("/apis/apps/v1/namespaces/prod/deployments/web/scale");
        assert_eq!(
            (t.info.kind, t.namespace.as_deref(), t.name.as_deref()),
            ("Deployment", Some("prod"), Some("web"))
        );
        assert_eq!(t.subresource.as_deref(), Some("scale"));
        let t = resource("/api/v1/pods");
        assert_eq!((t.info.kind, t.namespace, t.name), ("Pod", None, None));
        let t = resource("/api/v1/namespaces/default");
        assert_eq!((t.info.kind, t.name.as_deref()), ("Namespace", Some("default")));
        assert!(parse("/apis/apps/v1/namespaces/x/widgets").is_err());
        assert!(parse("/apis/apps/v1/namespaces/x/deployments/web/exec").is_err());
        assert!(parse("/api/v1/namespaces/x/namespaces").is_err());
    }
}
