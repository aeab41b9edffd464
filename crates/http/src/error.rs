//! The API's error shape: `{"error": {"code", "message", "field"?}}` with the right status.

use serde_json::{Value, json};

/// An error to answer with. `field` names the request field at fault, when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
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

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(404, "not_found", what)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "conflict", message)
    }
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "method_not_allowed",
            "method not allowed for this path",
        )
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal", message)
    }

    pub fn body(&self) -> Value {
        let mut e = json!({ "code": self.code, "message": self.message });
        if let Some(f) = &self.field {
            e["field"] = json!(f);
        }
        json!({ "error": e })
    }
}

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
