-- A run's metadata.set while it executes becomes a HOT update (issue 22). The GIN index on
-- runs.metadata made every metadata write put an entry in each of the table's indexes (6–8 for an
-- executing run). Lists filter through a copy instead, metadata_search, which is the run's
-- metadata whenever the run is not EXECUTING (NULL standing for '{}'), and may lag while it is:
-- a filter takes every executing run beside the copy's matches and checks metadata itself
-- (runConditions, engine/db/sql/run-list.ts). Migration 47 moves the index onto the copy.
-- A nullable column without a default rewrites nothing.
ALTER TABLE :SCHEMA.runs ADD COLUMN metadata_search jsonb;

-- The statements that end or suspend an execution copy the metadata themselves
-- (engine/db/sql/metadata-search.ts); these triggers keep the copy for every other writer (a
-- descendant's change, a cancel, a lapsed lease, a fork, and code older than this migration during
-- a rolling deploy). Their WHEN clauses keep a write that leaves the copy right (every write of
-- an executing run) from calling a function. An insert's copy is made in its row; an update's by
-- a second update after it, because a BEFORE UPDATE trigger, called or not, locks each row before
-- the update, a WAL record and a few microseconds on every step of every run.
CREATE FUNCTION :SCHEMA.copy_metadata_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.metadata_search := NEW.metadata;
    RETURN NEW;
  END IF;
  UPDATE :SCHEMA.runs SET metadata_search = metadata WHERE id = NEW.id AND status <> 'EXECUTING';
  RETURN NULL;
END
$$;
CREATE TRIGGER runs_metadata_search_insert BEFORE INSERT ON :SCHEMA.runs FOR EACH ROW
  WHEN (NEW.status <> 'EXECUTING' AND NEW.metadata <> '{}'::jsonb) EXECUTE FUNCTION :SCHEMA.copy_metadata_search();
CREATE TRIGGER runs_metadata_search_update AFTER UPDATE ON :SCHEMA.runs FOR EACH ROW
  WHEN (NEW.status <> 'EXECUTING' AND coalesce(NEW.metadata_search, '{}'::jsonb) <> NEW.metadata)
  EXECUTE FUNCTION :SCHEMA.copy_metadata_search();

-- The copy of the runs written before this migration, in batches of 1,000 ids, each committed on
-- its own (migrations/README.md, "Data in batches"), called by migration 47 outside a transaction
-- and dropped by migration 48. An executing run needs none, nor one with no metadata.
CREATE PROCEDURE :SCHEMA.backfill_metadata_search() LANGUAGE plpgsql AS $$
DECLARE
  done text := '';
  upto text;
BEGIN
  LOOP
    SELECT max(b.id) INTO upto FROM (SELECT id FROM :SCHEMA.runs WHERE id > done ORDER BY id LIMIT 1000) b;
    EXIT WHEN upto IS NULL;
    UPDATE :SCHEMA.runs SET metadata_search = metadata
    WHERE id > done AND id <= upto AND status <> 'EXECUTING' AND metadata <> '{}'::jsonb
      AND metadata_search IS DISTINCT FROM metadata;
    COMMIT;
    done := upto;
  END LOOP;
END
$$;
