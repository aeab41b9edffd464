// Shapes of the JSON the suite's API answers, as the Rust handlers write them
// (functions/*/src, crates/alerting, crates/residents, crates/cases). Times are RFC 3339 UTC.

/** `GET /api/v1/session`: who is signed in, and the token every write must echo. */
export interface Session {
  staff: Staff;
  csrf_token: string;
  idle_timeout_seconds: number;
}

export interface Staff {
  id: string;
  username: string;
  role: string;
  dong: string | null;
}

/** An incident as `Incident::to_json` writes it. */
export interface Incident {
  id: string;
  resident_id: string;
  dong: string;
  kind: string;
  severity: string;
  state: string;
  opened_at: string;
  last_event_at: string;
  event_count: number;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  closed_at: string | null;
  closed_by: string | null;
  outcome: string | null;
  dispatch_failed: boolean;
  dispatch_status: string | null;
  transported_at: string | null;
}

/** The responders' summary of a resident inside an incident's detail. */
export interface ResidentSummary {
  id: string;
  name: string;
  address: string;
  dong: string;
  phone: string | null;
  medical_notes: string | null;
  birth_year: number | null;
  contacts: Contact[];
}

export interface LogEntry {
  at: string;
  actor: string;
  action: string;
  note: string | null;
}

export interface DeviceEvent {
  event_id: string;
  device_id: string;
  kind: string;
  occurred_at: string;
  received_at: string;
}

export interface LadderStep {
  step: number;
  due_at: string;
  channel: string;
  target: string;
  state: string;
  fired_at: string | null;
}

export interface Notification {
  idempotency_key: string;
  step: number;
  channel: string;
  target: string;
  state: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** `GET /api/v1/incidents/{id}`. */
export interface IncidentDetail extends Incident {
  resident?: ResidentSummary;
  timeline: LogEntry[];
  events: DeviceEvent[];
  escalation: LadderStep[];
  notifications: Notification[];
}

export interface MonthStats {
  total: number;
  transported_by_119: number;
  by_kind: Record<string, number>;
  by_outcome: Record<string, number>;
}

/** `GET /api/v1/incidents/stats`. */
export interface IncidentStats {
  total: number;
  by_month: Record<string, MonthStats>;
  by_kind: Record<string, number>;
  by_outcome: Record<string, number>;
  dispatch_failed: number;
  transported_by_119: number;
  /** 119 transports this year (KST); absent from older servers. */
  transported_by_119_this_year?: number;
  /** Seconds from opening to acknowledgement, by dong. */
  acknowledge_seconds_by_dong?: Record<string, { acknowledged: number; median: number; p90: number }>;
  /** Supervised devices (with a heartbeat period) of active residents. */
  devices?: { online: number; offline: number };
}

export interface Contact {
  id?: string;
  name: string;
  phone: string;
  relation: string;
  priority?: number;
}

/** An item of `GET /api/v1/residents`. */
export interface ResidentListItem {
  id: string;
  name: string;
  dong: string;
  eligibility: string;
  last_activity_at: string | null;
}

export interface Device {
  id: string;
  resident_id: string;
  kind: string;
  protocol: string;
  dc09_account: string | null;
  heartbeat_interval_s: number | null;
  last_seen_at: string | null;
  last_heartbeat_at: string | null;
  created_at: string;
  /** Only in the answer to `POST /api/v1/residents/{id}/devices`, once. */
  secret?: string;
}

/** `GET /api/v1/residents/{id}`. */
export interface Resident {
  id: string;
  name: string;
  birth_year: number | null;
  phone: string | null;
  address: string;
  dong: string;
  location: { lat: number; lon: number } | null;
  eligibility: string;
  eligibility_until: string | null;
  medical_notes: string | null;
  inactivity_threshold_minutes: number;
  last_activity_at: string | null;
  created_at: string;
  contacts: Contact[];
  devices?: Device[];
  retired_devices?: string[];
  status?: string;
  status_reason?: string | null;
  status_until?: string | null;
  status_changed_at?: string | null;
}

export interface Schedule {
  id: string;
  resident_id: string;
  kind: string;
  medication_name: string | null;
  dose: string | null;
  text: string;
  rule: string;
  tz: string;
  start: string | null;
  end: string | null;
  needs_ack: boolean;
  grace_minutes: number;
  next_at: string | null;
  active: boolean;
}

export interface AdherenceWeek {
  week: string;
  taken: number;
  late: number;
  missed: number;
}

/** `GET /api/v1/adherence/{resident_id}`. */
export interface Adherence {
  resident_id: string;
  from: string;
  to: string;
  taken: number;
  late: number;
  missed: number;
  open: number;
  weeks: AdherenceWeek[];
}

/** `GET /api/v1/adherence?dong=`: every resident in scope together. */
export interface AdherenceSummary {
  dong: string | null;
  from: string;
  to: string;
  taken: number;
  late: number;
  missed: number;
  open: number;
  weeks: AdherenceWeek[];
}

export interface CheckIn {
  event_id: string;
  device_id: string;
  answer: string;
  said: string | null;
  crisis: boolean;
  delivery_id: string | null;
  incident_id: string | null;
  answered_at: string;
}

/** An item of `GET /api/v1/centres`. */
export interface Centre {
  dong: string;
  name: string;
  phone: string;
}

export interface Cycle {
  id: string;
  name: string;
  households: number;
  created_at: string;
}

/** One reason a household was flagged: an indicator (or interaction) with its points. */
export interface Reason {
  id: string;
  name_ko?: string;
  name_en?: string;
  unit?: string;
  value?: number;
  points?: number;
}

/** An item of `GET /api/v1/scoring/cycles/{cycle}/centres/{dong}`. */
export interface FlaggedHousehold {
  rank: number;
  household_id: string;
  score: number;
  band: string;
  reasons: Reason[] | null;
  case_id: string;
  case_status: string | null;
}

export interface CentreList {
  cycle: string;
  run_id: string;
  dong: string;
  allocated: number;
  households: FlaggedHousehold[];
}

/** An item of `GET /api/v1/cases`. */
export interface Case {
  id: string;
  household_ref: string;
  dong: string;
  source: string;
  summary: string;
  urgency: string;
  status: string;
  cycle: string | null;
  score: number | null;
  band: string | null;
  service: string | null;
  agency: string | null;
  incident_id: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface SupportSummary {
  cases: number;
  by_status: Record<string, number>;
  closed: number;
  support_rate: number;
}

/** `GET /api/v1/scoring/cycles/{cycle}/report`. */
export interface SupportReport {
  cycle: string;
  name: string;
  centres: (SupportSummary & { dong: string })[];
  total: SupportSummary | null;
}
