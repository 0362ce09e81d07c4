-- A journal entry's attempt counts at their usual values (one attempt, none before a manual retry)
-- are left out of new rows: NULL instead of the two integers every entry stored, 10 bytes an entry
-- with alignment (bench journal-size). The statements read NULL back as those values
-- (engine/db/sql/journal-output.ts); rows written before keep theirs. Dropping a NOT NULL and a
-- default changes the catalogue only: nothing is read or rewritten.
ALTER TABLE :SCHEMA.journal ALTER COLUMN attempts DROP NOT NULL, ALTER COLUMN attempts DROP DEFAULT,
  ALTER COLUMN attempts_before_retry DROP NOT NULL, ALTER COLUMN attempts_before_retry DROP DEFAULT;
