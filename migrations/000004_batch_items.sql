-- The items of a batched write (a JSON array), for the engine's hot-path statements. Postgres
-- assumes a set-returning function yields 100 rows; for jsonb_to_recordset that made the planner
-- reach `runs` through its status indexes, scanning every active run (dead index entries
-- included) instead of probing the primary key once per item. Plans are cached per connection,
-- so a wrong choice sticks. ROWS 1 keeps the per-item key probe, which costs the same per item
-- at any table size. Callers select it WITH ORDINALITY, which stops Postgres inlining the
-- function (inlined, it would be estimated as jsonb_array_elements again).
CREATE FUNCTION :SCHEMA.batch_items(items jsonb) RETURNS SETOF jsonb
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 1
  AS $$ SELECT jsonb_array_elements(items) $$;
