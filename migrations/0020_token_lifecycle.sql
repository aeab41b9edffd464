-- Staff and machine tokens expire (people after 90 days by default, machines after a year or as
-- set), can be revoked by an admin and rotated by their holder. A data provider's token names
-- the one provider whose files it may upload. Tokens minted before this keep no expiry.
ALTER TABLE staff_tokens ADD COLUMN expires_at INTEGER;

ALTER TABLE staff_tokens ADD COLUMN provider TEXT;
