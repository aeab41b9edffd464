-- A sender claims an outbox row before sending it, so the immediate send after an event, ticks
-- and replicas never send one row at once. The claim is a lease on the wall clock: a sender
-- that dies mid-send leaves a claim that expires, and the row is sent again by a later tick
-- (the Idempotency-Key lets the receiver drop that copy).
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
