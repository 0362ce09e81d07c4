-- The stream channel's notification names each stream that changed (`<runId>:<lastIndex>/<key>`),
-- so a follower of one stream of a run no longer reads the table at every commit to another stream
-- of it. A notification whose keys would pass PostgreSQL's 8000-byte cap names the runs only
-- (`<runId>:<lastIndex>`), and every follower of those runs reads. Otherwise the same function as
-- migration 38; replacing a function rewrites no table.
CREATE OR REPLACE FUNCTION :SCHEMA.append_stream_chunks(
  p_run_ids text[], p_keys text[], p_step_seqs int[], p_tokens bigint[], p_places int[], p_data text[],
  p_max_bytes bigint, p_channel text, p_stream_nos int[]
) RETURNS json
  LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  sent bigint;
  stored_streams json;
BEGIN
  WITH input AS (
    SELECT * FROM unnest(p_run_ids, p_keys, p_step_seqs, p_tokens, p_places, p_data, p_stream_nos) WITH ORDINALITY
      AS i(run_id, key, step_seq, attempt_token, n, data, stream_no, ord)
  ),
  fresh AS (
    SELECT i.*, row_number() OVER (PARTITION BY i.stream_no ORDER BY i.ord) AS k FROM input i
    -- A probe of the place index per chunk: an anti-join would read the whole table.
    LEFT JOIN LATERAL (
      SELECT true AS taken FROM :SCHEMA.stream_chunks c
      WHERE c.run_id = i.run_id AND c.step_seq = i.step_seq AND c.attempt_token = i.attempt_token AND c.n = i.n LIMIT 1
    ) p ON true
    WHERE p.taken IS NULL
  ),
  totals AS (SELECT run_id, key, min(stream_no) AS stream_no, count(*) AS k, sum(octet_length(data)) AS b FROM fresh GROUP BY run_id, key),
  streams AS (
    INSERT INTO :SCHEMA.run_streams AS st (run_id, key, last_index, chunks, bytes, max_bytes)
    SELECT run_id, key, k, k, b, p_max_bytes FROM totals
    ON CONFLICT (run_id, key) DO UPDATE SET last_index = st.last_index + excluded.last_index, chunks = st.chunks + excluded.chunks,
      bytes = st.bytes + excluded.bytes, max_bytes = excluded.max_bytes, updated_at = now()
    RETURNING st.run_id, st.key, st.last_index, st.resets
  ),
  stored AS (
    INSERT INTO :SCHEMA.stream_chunks (run_id, key, chunk_index, step_seq, attempt_token, n, data)
    SELECT f.run_id, f.key, st.last_index - t.k + f.k, f.step_seq, f.attempt_token, f.n, f.data
    FROM fresh f JOIN totals t USING (run_id, key) JOIN streams st USING (run_id, key)
  ),
  notified AS (
    SELECT pg_notify(p_channel, CASE WHEN octet_length(n.keyed) < 8000 THEN n.keyed ELSE n.bare END)
    FROM (
      SELECT string_agg(c.run_id || ':' || c.last_index || '/' || c.key, ',') AS keyed, string_agg(c.run_id || ':' || c.last_index, ',') AS bare
      FROM (SELECT run_id, key, last_index, (row_number() OVER ()) / 100 AS part FROM streams) AS c GROUP BY c.part
    ) AS n
  )
  SELECT (SELECT count(*) FROM notified),
    (SELECT coalesce(json_agg(json_build_array(t.stream_no, st.last_index, t.k, st.resets)), '[]') FROM totals t JOIN streams st USING (run_id, key))
  INTO sent, stored_streams;
  RETURN stored_streams;
END
$$;
