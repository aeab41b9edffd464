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
        }
    }
    pub const NAMES: &'static [&'static str] = &[
        "admin",
        "dispatcher",
        "support-centre",
        "welfare-centre",
        "clock",
    ];
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub id: String,
    pub role: Role,
    /// Set for welfare-centre workers: the only dong they may see.
    pub dong: Option<String>,
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
            });
        }
    }
    crate::store::registry::staff_by_token_hash(db, &hash)?
        .ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))
}
