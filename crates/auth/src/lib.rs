//! Who is calling: staff bearer tokens with roles; welfare-centre workers are scoped to a dong.
//!
//! The first admin token comes from the `admin_token` Spin variable; admins mint the others,
//! which are stored only as SHA-256 hashes ([`tokens`]). What a caller may see is a
//! [`Scope`], passed to every query of dong-owned records.
#![cfg(target_arch = "wasm32")]

pub mod access;
pub mod tokens;

pub use safetynet_db::Scope;
pub use safetynet_vocabulary::Role;

use safetynet_db::Db;
use safetynet_http::{ApiError, ApiResult};
use safetynet_secrets::token_hash;
use spin_sdk::http::Request;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The token's id (for an officer, the officer id; for the bootstrap admin, `admin`).
    pub id: String,
    /// What the token lets its holder do.
    pub role: Role,
    /// Set for welfare-centre workers: the only dong they may see.
    pub dong: Option<String>,
    /// Set for data providers: the only provider whose files they may upload.
    pub provider: Option<String>,
}

impl Staff {
    /// `Ok` if the caller is an admin or holds one of `roles`, 403 otherwise.
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

    /// The dong-owned records this caller's queries may see.
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::WelfareCentre => match &self.dong {
                Some(d) => Scope::Dong(d.clone()),
                None => Scope::Nothing,
            },
            Role::Clock | Role::Officer | Role::DataProvider => Scope::Nothing,
            Role::Admin | Role::Dispatcher | Role::SupportCentre => Scope::City,
        }
    }

    /// `Ok` if records of `dong` are within this caller's scope, 403 otherwise.
    pub fn require_dong(&self, dong: &str) -> ApiResult<()> {
        Ok(self.scope().check(dong)?)
    }
}

/// Who is calling, from `Authorization: Bearer <token>`.
pub fn authenticate(req: &Request, db: &Db) -> ApiResult<Staff> {
    let header = safetynet_http::header(req, "authorization")
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
    let token = tokens::staff_by_token_hash(db, &hash)?
        .ok_or_else(|| ApiError::unauthorized("unknown token"))?;
    let now = safetynet_wire::time::now_ms();
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
