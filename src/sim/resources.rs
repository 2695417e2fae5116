//! The resource types the simulated API server serves, with what discovery
//! tells clients about each (kubectl plans every request from this).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceType {
    /// Empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
}

impl ResourceType {
    pub const fn new(group: &'static str, version: &'static str, plural: &'static str) -> ResourceType {
        ResourceType { group, version, plural }
    }

    /// `v1` or `group/version`, as in an object's `apiVersion`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps` or `pods`, as in API server messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

#[derive(Debug)]
pub struct ResourceInfo {
    pub ty: ResourceType,
    pub kind: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Subresources served, e.g. "status", "scale".
    pub subresources: &'static [&'static str],
    /// Whether the kind has a `spec` whose changes bump `metadata.generation`.
    pub has_spec: bool,
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

const fn resource(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
) -> ResourceInfo {
    ResourceInfo {
        ty: ResourceType::new(group, version, plural),
        kind,
        singular,
        namespaced: true,
        short_names,
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources,
        has_spec: true,
    }
}

pub static RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        namespaced: false,
        categories: &[],
        verbs: &["create", "delete", "get", "list", "patch", "update", "watch"],
        has_spec: true,
        ..resource("", "v1", "namespaces", "namespace", "Namespace", &["ns"], &["status"])
    },
    resource("", "v1", "pods", "pod", "Pod", &["po"], &["status"]),
    resource("", "v1", "services", "service", "Service", &["svc"], &["status"]),
    resource(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        &["deploy"],
        &["scale", "status"],
    ),
    resource(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        &["rs"],
        &["scale", "status"],
    ),
    ResourceInfo {
        categories: &[],
        ..resource(
            "networking.k8s.io",
            "v1",
            "ingresses",
            "ingress",
            "Ingress",
            &["ing"],
            &["status"],
        )
    },
    ResourceInfo {
        categories: &["gateway-api"],
        ..resource(
            "gateway.networking.k8s.io",
            "v1",
            "httproutes",
            "httproute",
            "HTTPRoute",
            &[],
            &["status"],
        )
    },
    ResourceInfo {
        categories: &["istio-io", "networking-istio-io"],
        ..resource(
            "networking.istio.io",
            "v1",
            "virtualservices",
            "virtualservice",
            "VirtualService",
            &["vs"],
            &["status"],
        )
    },
    ResourceInfo {
        categories: &[],
        ..resource(
            "serving.kserve.io",
            "v1beta1",
            "inferenceservices",
            "inferenceservice",
            "InferenceService",
            &["isvc"],
            &["status"],
        )
    },
    ResourceInfo {
        namespaced: false,
        categories: &[],
        verbs: &["create"],
        subresources: &[],
        has_spec: true,
        ..resource(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "selfsubjectaccessreview",
            "SelfSubjectAccessReview",
            &[],
            &[],
        )
    },
];

/// The catalogue entry of `plural` in `group`/`version`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.ty.group == group && r.ty.version == version && r.ty.plural == plural)
}

/// The catalogue entry of an object's `apiVersion` and `kind`.
pub fn find_kind(api_version: &str, kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.ty.api_version() == api_version && r.kind == kind)
}

pub fn by_type(ty: ResourceType) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.ty == ty)
}

/// The group/version pairs served, core first, in discovery order.
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.ty.group, r.ty.version)) {
            out.push((r.ty.group, r.ty.version));
        }
    }
    out
}

pub const DEPLOYMENTS: ResourceType = ResourceType::new("apps", "v1", "deployments");
pub const REPLICASETS: ResourceType = ResourceType::new("apps", "v1", "replicasets");
pub const PODS: ResourceType = ResourceType::new("", "v1", "pods");
pub const SERVICES: ResourceType = ResourceType::new("", "v1", "services");
pub const NAMESPACES: ResourceType = ResourceType::new("", "v1", "namespaces");
pub const HTTPROUTES: ResourceType = ResourceType::new("gateway.networking.k8s.io", "v1", "httproutes");
