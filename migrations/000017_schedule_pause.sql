-- A schedule can be paused (deactivated) and resumed, and remembers the last occurrence it fired.
-- Both columns are added without a table rewrite (a constant default).
ALTER TABLE :SCHEMA.schedules ADD COLUMN active boolean NOT NULL DEFAULT true, ADD COLUMN last_at timestamptz;
