-- An accepted event and what it says about its device and resident are one write: this trigger
-- moves the device's last-seen (and last-heartbeat) and the resident's last activity on every
-- insert. So the common event (a heartbeat) is stored with a single statement, and no code path
-- can store an event without touching the clocks the tick reads for inactivity and offline.

ALTER TABLE device_events ADD COLUMN shows_activity INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER IF NOT EXISTS device_events_touch AFTER INSERT ON device_events
BEGIN
    UPDATE devices SET last_seen_at = NEW.received_at,
        last_heartbeat_at = CASE WHEN NEW.kind = 'heartbeat' THEN NEW.received_at ELSE last_heartbeat_at END
     WHERE id = NEW.device_id;
    UPDATE residents SET last_activity_at = NEW.received_at
     WHERE NEW.shows_activity = 1 AND id = NEW.resident_id
       AND (last_activity_at IS NULL OR last_activity_at < NEW.received_at);
END;
