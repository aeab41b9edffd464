//! Staff authentication: bearer tokens with roles; welfare-centre workers are scoped to a dong.
//!
//! The first admin token comes from the `admin_token` Spin variable; admins mint the others,
//! which are stored only as SHA-256 hashes.

use spin_sdk::http::Request;

use crate::api::{ApiError, ApiResult};
use crate::db::Db;
use crate::secrets::token_hash;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    Admin,
    Dispatcher,
    SupportCentre,
    WelfareCentre,
    /// The device bridge / scheduler: may call the tick and the device-facing feeds.
    Clock,
    /// An approved honorary welfare officer (`Staff.id` is the officer id): their own records only.
    Officer,
    /// A public-data provider's system: uploads its own provider's files, nothing else.
    DataProvider,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "dispatcher" => Role::Dispatcher,
            "support-centre" => Role::SupportCentre,
            "welfare-centre" => Role::WelfareCentre,
            "clock" => Role::Clock,
            "officer" => Role::Officer,
            "data-provider" => Role::DataProvider,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::SupportCentre => "support-centre",
            Role::WelfareCentre => "welfare-centre",
            Role::Clock => "clock",
            Role::Officer => "officer",
            Role::DataProvider => "data-provider",
        }
    }

    /// Machines (the bridge's clock, a provider's uploader) keep a token longer than people.
    pub fn is_machine(self) -> bool {
        matches!(self, Role::Clock | Role::DataProvider)
    }

    /// How long a new token of this role lasts unless its issuer says otherwise.
    pub fn default_token_days(self) -> i64 {
        if self.is_machine() { 365 } else { 90 }
    }
    pub const NAMES: &'static [&'static str] = &[
        "admin",
        "dispatcher",
        "support-centre",
        "welfare-centre",
        "clock",
        "data-provider",
    ];
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub id: String,
    pub role: Role,
    /// Set for welfare-centre workers: the only dong they may see.
    pub dong: Option<String>,
    /// Set for data providers: the only provider whose files they may upload.
    pub provider: Option<String>,
}

impl Staff {
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "role {} may not do this",
                self.role.as_str()
            )))
        }
    }

    /// Whether this person may see records of `dong`.
    pub fn sees_dong(&self, dong: &str) -> bool {
        match self.role {
            Role::WelfareCentre => self.dong.as_deref() == Some(dong),
            Role::Clock | Role::Officer => false,
            _ => true,
        }
    }

    pub fn require_dong(&self, dong: &str) -> ApiResult<()> {
        if self.sees_dong(dong) {
            Ok(())
        } else {
            Err(ApiError::forbidden("this record belongs to another dong"))
        }
    }
}

/// Who is calling, from `Authorization: Bearer <token>`.
pub fn authenticate(req: &Request, db: &Db) -> ApiResult<Staff> {
    let header = crate::http::header(req, "authorization")
        .ok_or_else(|| ApiError::unauthorized("Authorization: Bearer <token> required"))?;
    let token = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <token>`"))?;
    let hash = token_hash(token);
    if let Ok(admin) = spin_sdk::variables::get("admin_token") {
        // Compare hashes so the comparison time does not depend on the secret's content.
        if !admin.is_empty() && token_hash(&admin) == hash {
            return Ok(Staff {
                id: "admin".into(),
                role: Role::Admin,
                dong: None,
                provider: None,
            });
        }
    }
    let token = crate::store::registry::staff_by_token_hash(db, &hash)?
        .ok_or_else(|| ApiError::unauthorized("unknown token"))?;
    let now = crate::time::now_ms();
    if token.revoked_at.is_some() {
        return Err(ApiError::new(
            401,
            "token_revoked",
            "this token was revoked; ask an admin for a new one",
        ));
    }
    if token.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::new(
            401,
            "token_expired",
            "this token has expired; ask an admin for a new one",
        ));
    }
    Ok(token.staff)
}
