-- A journal entry's output as the JSON text the engine wrote (json), from now on: jsonb took 20–35%
-- more bytes for the small superjson documents the journal holds (a status entry 146 bytes against
-- 109, a task's number 42 against 31), about 32 bytes an entry in all (bench journal-size), and a
-- replay turns every output back into text anyway. Entries written before keep theirs in `output`
-- (jsonb), which new entries leave NULL; the statements read whichever is set
-- (engine/db/sql/journal-output.ts). A nullable column without a default: no table rewrite.
ALTER TABLE :SCHEMA.journal ADD COLUMN output_json json;
