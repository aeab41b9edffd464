-- A DC-09 gateway's AES key, sealed like the device's webhook secret, so that the device bridge
-- can take its whole device table from the suite instead of a hand-edited file.
ALTER TABLE devices ADD COLUMN dc09_key_sealed TEXT;
