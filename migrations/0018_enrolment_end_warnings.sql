-- A time-limited enrolment (recently discharged, temporary housing) warns its dong centre once
-- before it ends, so a worker decides in time: extend it (a new end date) or unenrol.
ALTER TABLE residents ADD COLUMN end_warned_for INTEGER;
