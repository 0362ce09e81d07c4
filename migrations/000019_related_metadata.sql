-- metadata.parent / metadata.root: a child run's change to another run's metadata is kept in that
-- run's history with the child that made it. It has no place in the run's journal, so its seq is
-- minus the run's revision at the change (unique, and a range of the primary key finds the changes
-- after a revision). `revision` orders a run's own changes and its children's together.
ALTER TABLE :SCHEMA.run_metadata_history ADD COLUMN child_run_id text, ADD COLUMN revision bigint;

-- One metadata operation applied to the run's metadata as it is in the row, so a run's own write
-- keeps what its children wrote meanwhile. Its code checked the operation already: an increment of
-- a value a child made something else than a number starts again from 0 rather than failing the
-- statement (which carries other runs' writes too). A set of SQL NULL is JSON null; a delete is 'del'.
CREATE FUNCTION :SCHEMA.apply_metadata_op(m jsonb, op text, k text, v jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE op
    WHEN 'set' THEN m || jsonb_build_object(k, coalesce(v, 'null'::jsonb))
    WHEN 'del' THEN m - k
    WHEN 'increment' THEN m || jsonb_build_object(k, to_jsonb(
      CASE WHEN jsonb_typeof(m -> k) = 'number' THEN (m ->> k)::numeric ELSE 0 END + coalesce((v #>> '{}')::numeric, 1)))
    WHEN 'append' THEN m || jsonb_build_object(k,
      CASE WHEN m -> k IS NULL THEN '[]'::jsonb WHEN jsonb_typeof(m -> k) = 'array' THEN m -> k ELSE jsonb_build_array(m -> k) END
        || jsonb_build_array(coalesce(v, 'null'::jsonb)))
    WHEN 'remove' THEN CASE WHEN jsonb_typeof(m -> k) = 'array' THEN m || jsonb_build_object(k,
      (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]'::jsonb) FROM jsonb_array_elements(m -> k) WITH ORDINALITY AS a(e, i)
       WHERE e IS DISTINCT FROM coalesce(v, 'null'::jsonb))) ELSE m END
    ELSE m
  END
$$;
