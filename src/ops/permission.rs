//! Asking the cluster, before acting, whether the current user may: a
//! SelfSubjectAccessReview, so a missing permission is shown before a key
//! is pressed rather than as a failed write.

use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::Api;
use kube::api::PostParams;

use crate::backends::kube::objects::Kind;
use crate::backends::kube::{Connection, KubeError};

/// One API permission: verb on a resource (and subresource) in a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    pub subresource: Option<&'static str>,
    pub namespace: String,
    pub name: String,
}

impl Permission {
    /// Patching the object `name` of `kind` in `namespace`: what every
    /// operation here writes with.
    pub fn patch(kind: &Kind, namespace: &str, name: &str) -> Permission {
        Permission {
            verb: "patch",
            group: kind.group,
            resource: kind.plural,
            subresource: None,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }

    pub fn describe(&self) -> String {
        let resource = match self.subresource {
            Some(sub) => format!("{}/{sub}", self.resource),
            None => self.resource.to_owned(),
        };
        format!(
            "{} {resource} {:?} in namespace {:?}",
            self.verb, self.name, self.namespace
        )
    }
}

/// `Ok(None)` when allowed, `Ok(Some(reason))` when not.
pub async fn check(conn: &Connection, permission: &Permission) -> Result<Option<String>, KubeError> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(permission.namespace.clone()),
                verb: Some(permission.verb.to_owned()),
                group: Some(permission.group.to_owned()),
                resource: Some(permission.resource.to_owned()),
                subresource: permission.subresource.map(str::to_owned),
                name: Some(permission.name.clone()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(conn.client.clone());
    let answer = api
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| KubeError::from_kube(e, &conn.server))?;
    let status = answer.status.unwrap_or_default();
    if status.allowed {
        Ok(None)
    } else {
        let why = status
            .reason
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "not allowed".into());
        Ok(Some(format!(
            "user {:?} may not {}: {}",
            conn.user,
            permission.describe(),
            crate::text::clean(&why)
        )))
    }
}
