//! API errors, answered as the Kubernetes API server answers them: a
//! `Status` object with an HTTP code and a machine-readable reason.

use serde_json::{Value, json};

use super::resources::ResourceType;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, ty: &ResourceType, name: &str) -> ApiError {
        self.details = Some(json!({"name": name, "group": ty.group, "kind": ty.plural}));
        self
    }

    pub fn not_found(ty: &ResourceType, name: &str) -> ApiError {
        ApiError::new(404, "NotFound", format!("{} \"{name}\" not found", ty.qualified())).with_details(ty, name)
    }

    pub fn already_exists(ty: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", ty.qualified()),
        )
        .with_details(ty, name)
    }

    /// A write whose resourceVersion precondition no longer holds.
    pub fn conflict(ty: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your \
                 changes to the latest version and try again",
                ty.qualified()
            ),
        )
        .with_details(ty, name)
    }

    /// `why` is "field.path: message" (or a bare message); kubectl prints
    /// the causes, so the field goes there as the API server puts it.
    pub fn invalid(ty: &ResourceType, name: &str, why: impl std::fmt::Display) -> ApiError {
        let why = why.to_string();
        let kind = super::resources::by_type(*ty).map_or(ty.plural, |r| r.kind);
        let (field, message) = match why.split_once(": ") {
            Some((field, message)) if !field.contains(' ') => (field, message),
            _ => ("", why.as_str()),
        };
        let subject = if ty.group.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}.{}", ty.group)
        };
        let mut error = ApiError::new(422, "Invalid", format!("{subject} \"{name}\" is invalid: {why}"));
        error.details = Some(json!({
            "name": name,
            "group": ty.group,
            "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "message": message, "field": field}],
        }));
        error
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn gone(message: impl Into<String>) -> ApiError {
        ApiError::new(410, "Expired", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(403, "Forbidden", message)
    }

    pub fn path_not_found(path: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )
    }

    pub fn unsupported_media_type(content_type: &str) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type:?}) - accepted media types include: \
                 application/json, application/yaml, application/json-patch+json, application/merge-patch+json, \
                 application/apply-patch+yaml, application/strategic-merge-patch+json"
            ),
        )
    }

    /// A failure injected by a test, with the reason the code implies.
    pub fn injected(code: u16) -> ApiError {
        let reason = match code {
            401 => "Unauthorized",
            403 => "Forbidden",
            409 => "Conflict",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        ApiError::new(code, reason, format!("injected failure ({code} {reason})"))
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message)
    }

    /// The `Status` object for the response body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}
