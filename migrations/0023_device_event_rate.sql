-- Per-device event rate: the minute of a device's latest events and how many it sent in it,
-- kept by the insert trigger, so the webhook reads the count with the device row it loads
-- anyway instead of counting events.
ALTER TABLE devices ADD COLUMN events_minute INTEGER;

ALTER TABLE devices ADD COLUMN events_in_minute INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER IF EXISTS device_events_touch;

CREATE TRIGGER IF NOT EXISTS device_events_touch AFTER INSERT ON device_events
BEGIN
    UPDATE devices SET last_seen_at = NEW.received_at,
        last_heartbeat_at = CASE WHEN NEW.kind = 'heartbeat' THEN NEW.received_at ELSE last_heartbeat_at END,
        events_in_minute = CASE WHEN events_minute = NEW.received_at / 60000 THEN events_in_minute + 1 ELSE 1 END,
        events_minute = NEW.received_at / 60000
     WHERE id = NEW.device_id;
    UPDATE residents SET last_activity_at = NEW.received_at
     WHERE NEW.shows_activity = 1 AND id = NEW.resident_id
       AND (last_activity_at IS NULL OR last_activity_at < NEW.received_at);
END;
