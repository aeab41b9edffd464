//! Raising an alert: the one way an incident is opened (or joined) and its notifications
//! queued, whoever raises it — a device event, the tick's inactivity and offline detection,
//! missed reminders, an officer's crisis report.

use crate::incidents::{self, NewIncident};
use crate::notify::{self, Context};
use crate::routing_client::{self as routing, Plan};
use safetynet_db::Db;
use safetynet_db::StoreResult;
use safetynet_residents::{Contact, Resident};

/// Who and what an alert is about.
pub struct Alert<'a> {
    /// The incident kind (an event kind, or e.g. `missed-dose`).
    pub kind: &'a str,
    /// What raised it, for the incident's timeline: an event id, `tick`, `reminders:…`,
    /// `officer:…`.
    pub source: &'a str,
    /// The resident it is about.
    pub resident: &'a Resident,
    /// The resident's contacts, by priority.
    pub contacts: &'a [Contact],
    /// The device (id, kind) the alert came from, if any.
    pub device: Option<(&'a str, &'a str)>,
    /// The event (id, occurred-at) the alert came from, if any.
    pub event: Option<(&'a str, i64)>,
    /// When it is raised (unix ms).
    pub now: i64,
}

/// What [`raise`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Raised {
    /// A new incident, with its ladder stored and its immediate notifications queued.
    Opened(String),
    /// The resident already had an open incident of this kind; the alert was added to it.
    Joined(String),
}

impl Raised {
    /// The incident's id.
    pub fn id(&self) -> &str {
        match self {
            Raised::Opened(id) | Raised::Joined(id) => id,
        }
    }

    /// `opened` or `joined`, as the API reports it.
    pub fn how(&self) -> &'static str {
        match self {
            Raised::Opened(_) => "opened",
            Raised::Joined(_) => "joined",
        }
    }
}

/// Opens an incident for `alert` as `plan` says, or joins the resident's open incident of the
/// same kind, so a repeat never opens a second one. Call inside the caller's transaction: the
/// incident, its ladder and its outbox rows are stored with whatever else the caller writes,
/// or not at all.
pub fn raise(db: &Db, alert: &Alert, plan: &Plan) -> StoreResult<Raised> {
    if let Some(id) = incidents::find_open(db, &alert.resident.id, alert.kind)? {
        incidents::join(db, &id, alert.source, alert.now)?;
        return Ok(Raised::Joined(id));
    }
    let severity = routing::severity_str(plan.severity);
    let id = incidents::open(
        db,
        &NewIncident {
            resident_id: &alert.resident.id,
            dong: &alert.resident.dong,
            kind: alert.kind,
            severity,
            source: alert.source,
            now: alert.now,
        },
        &notify::ladder(plan),
    )?;
    let ctx = Context {
        incident_id: &id,
        kind: alert.kind,
        severity,
        resident: alert.resident,
        contacts: alert.contacts,
        device: alert.device,
        event: alert.event,
    };
    notify::enqueue_immediate(db, &ctx, plan, alert.now)?;
    Ok(Raised::Opened(id))
}
