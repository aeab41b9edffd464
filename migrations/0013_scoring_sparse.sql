-- Provider columns are stored sparse: almost every cell is 0. Columns stored before this keep
-- `dense-f32` and are read as before.

ALTER TABLE scoring_columns ADD COLUMN encoding TEXT NOT NULL DEFAULT 'dense-f32';
