-- Retention: the tick removes what is past its period in small batches. These indexes let it
-- find the oldest rows without scanning; personal_data_erased_at marks a resident whose
-- personal details are gone (the record stays for statistics).
CREATE INDEX IF NOT EXISTS device_events_kind_received ON device_events(kind, received_at);

CREATE INDEX IF NOT EXISTS incidents_closed ON incidents(closed_at) WHERE closed_at IS NOT NULL;

ALTER TABLE residents ADD COLUMN personal_data_erased_at INTEGER;

CREATE INDEX IF NOT EXISTS residents_status_changed ON residents(status, status_changed_at);

-- Erasing a resident and purging an incident reach these rows by resident or incident; without
-- these indexes each would scan its table while holding the write lock the emergency path needs.
CREATE INDEX IF NOT EXISTS incidents_resident ON incidents(resident_id);

CREATE INDEX IF NOT EXISTS ack_codes_incident ON ack_codes(incident_id);

CREATE INDEX IF NOT EXISTS sms_replies_incident ON sms_replies(incident_id);
