//! The API's error shape: `{"error": {"code", "message", "field"?}}` with the right status.

use serde_json::{Value, json};

/// An error to answer with. `field` names the request field at fault, when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status, e.g. 404.
    pub status: u16,
    /// The machine-readable code, e.g. `not_found`.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// The request field at fault, if any.
    pub field: Option<String>,
}

impl ApiError {
    /// An error with this status, code and message, naming no field.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// 400 naming the field, e.g. `invalid("kind", "unknown event kind \"x\"")`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: "invalid_field",
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }

    /// 400 `bad_request`: the request as a whole is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }
    /// 401 `unauthorized`: no valid credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }
    /// 403 `forbidden`: the caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }
    /// 404 `not_found`; `what` says what is missing.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(404, "not_found", what)
    }
    /// 409 `conflict`: the request contradicts what is stored.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "conflict", message)
    }
    /// 405 `method_not_allowed` for the request's path.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "method_not_allowed",
            "method not allowed for this path",
        )
    }
    /// 500 `internal`: the server failed.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal", message)
    }

    /// The JSON body: `{"error": {"code", "message", "field"?}}`.
    pub fn body(&self) -> Value {
        let mut e = json!({ "code": self.code, "message": self.message });
        if let Some(f) = &self.field {
            e["field"] = json!(f);
        }
        json!({ "error": e })
    }
}

/// The result of a handler or a step of one.
pub type ApiResult<T> = Result<T, ApiError>;

/// Storage errors as the API answers them: the one place their statuses are decided.
impl From<safetynet_db::StoreError> for ApiError {
    fn from(e: safetynet_db::StoreError) -> Self {
        use safetynet_db::StoreError as S;
        match e {
            S::NotFound(what) => ApiError::not_found(what),
            S::Conflict { field, message } => ApiError {
                field: field.map(str::to_string),
                ..ApiError::conflict(message)
            },
            S::OutOfScope => ApiError::forbidden("this record belongs to another dong"),
            S::Database(m) => ApiError::internal(format!("database: {m}")),
            S::Internal(m) => ApiError::internal(m),
        }
    }
}
