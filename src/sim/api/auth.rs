//! Who is calling and what they may do: bearer tokens name users; a
//! read-only user may get, list and watch but every write is 403
//! Forbidden, and SelfSubjectAccessReview answers the same rule, so a
//! client can learn a permission before it tries.

use serde_json::{Value, json};

use super::route::Target;
use crate::sim::error::ApiError;

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct Users(pub Vec<User>);

pub const ADMIN_TOKEN: &str = "modeldeck-sim-admin-token";
pub const VIEWER_TOKEN: &str = "modeldeck-sim-viewer-token";

impl Users {
    /// An operator who may do everything and a viewer who may only read.
    pub fn demo() -> Users {
        Users(vec![
            User {
                name: "operator".into(),
                token: ADMIN_TOKEN.into(),
                read_only: false,
            },
            User {
                name: "viewer".into(),
                token: VIEWER_TOKEN.into(),
                read_only: true,
            },
        ])
    }

    /// The user of an `Authorization: Bearer …` header; 401 otherwise.
    pub fn authenticate(&self, header: Option<&str>) -> Result<&User, ApiError> {
        let token = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim);
        token
            .and_then(|t| self.0.iter().find(|u| u.token == t))
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The API verb of an HTTP method on a target.
pub fn verb(method: &str, target: &Target, watch: bool) -> &'static str {
    match (method, target.name.is_some()) {
        ("GET", _) if watch => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    }
}

fn allowed(user: &User, verb: &str) -> bool {
    !user.read_only || matches!(verb, "get" | "list" | "watch")
}

pub fn authorize(user: &User, verb: &str, target: &Target) -> Result<(), ApiError> {
    // Everyone may ask what they may do.
    let review = target.info.ty.plural == "selfsubjectaccessreviews";
    if review || allowed(user, verb) {
        return Ok(());
    }
    let ty = target.info.ty;
    let resource = match &target.subresource {
        Some(sub) => format!("{}/{sub}", ty.plural),
        None => ty.plural.to_owned(),
    };
    let subject = match &target.name {
        Some(name) => format!("{} \"{name}\"", ty.qualified()),
        None => ty.qualified(),
    };
    let place = match &target.namespace {
        Some(ns) => format!(" in the namespace \"{ns}\""),
        None => " at the cluster scope".into(),
    };
    Err(ApiError::forbidden(format!(
        "{subject} is forbidden: User \"{}\" cannot {verb} resource \"{resource}\" in API group \"{}\"{place}",
        user.name, ty.group
    )))
}

/// Answers a SelfSubjectAccessReview: the request echoed with its status.
pub fn access_review(user: &User, mut review: Value) -> Value {
    let verb = review["spec"]["resourceAttributes"]["verb"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let allowed = allowed(user, &verb);
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["kind"] = json!("SelfSubjectAccessReview");
    review["status"] = if allowed {
        json!({"allowed": true, "reason": format!("user {:?} may {verb}", user.name)})
    } else {
        json!({"allowed": false, "reason": format!("user {:?} is read-only", user.name)})
    };
    review
}
