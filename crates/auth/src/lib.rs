//! Who is calling: machines with bearer tokens, people signed in to the console with a session
//! cookie; both carry a role, and welfare-centre workers are scoped to a dong.
//!
//! The first admin token comes from the `admin_token` Spin variable; admins mint the others,
//! which are stored only as SHA-256 hashes ([`tokens`]), and create people's accounts
//! ([`accounts`], [`sessions`]). What a caller may see is a [`Scope`], passed to every query of
//! dong-owned records, the same whichever way the caller signed in.
#![cfg(target_arch = "wasm32")]

pub mod access;
pub mod accounts;
pub mod sessions;
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

/// Who is calling: from `Authorization: Bearer <token>` when the header is there, else from the
/// console's session cookie (state-changing requests must then carry `X-CSRF-Token`).
pub fn authenticate(req: &Request, db: &Db) -> ApiResult<Staff> {
    let Some(header) = safetynet_http::header(req, "authorization") else {
        if safetynet_http::header(req, "cookie")
            .and_then(|c| sessions::cookie_value(c, sessions::COOKIE))
            .is_some()
        {
            return Ok(session(req, db)?.staff);
        }
        return Err(ApiError::unauthorized(
            "Authorization: Bearer <token> required",
        ));
    };
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

/// The console session behind the request's cookie, refusing a state-changing request whose
/// `X-CSRF-Token` does not match the session's.
pub fn session(req: &Request, db: &Db) -> ApiResult<sessions::Session> {
    let token = safetynet_http::header(req, "cookie")
        .and_then(|c| sessions::cookie_value(c, sessions::COOKIE))
        .ok_or_else(|| ApiError::unauthorized("sign in first"))?;
    let now = safetynet_wire::time::now_ms();
    let session = match sessions::find(db, token, now)? {
        sessions::Lookup::Live(s) => s,
        sessions::Lookup::Expired => {
            return Err(ApiError::new(
                401,
                "session_expired",
                "your session ended after a period without use; sign in again",
            ));
        }
        sessions::Lookup::Unknown => return Err(ApiError::unauthorized("sign in first")),
    };
    let safe = matches!(
        req.method(),
        spin_sdk::http::Method::Get
            | spin_sdk::http::Method::Head
            | spin_sdk::http::Method::Options
    );
    if !safe {
        let sent = safetynet_http::header(req, "x-csrf-token").unwrap_or("");
        // Compare hashes so the time taken does not depend on how much of the token matched.
        if token_hash(sent) != token_hash(&session.csrf_token) {
            return Err(ApiError::new(
                403,
                "csrf_failed",
                "this form is out of date or did not come from the console; reload the page",
            ));
        }
    }
    Ok(session)
}
