/**
 * Statements on `run_streams` and `stream_chunks` (migrations/000014_streams.sql). `s` is the
 * quoted schema. Every statement that changes a stream notifies the stream channel with
 * `<runId>:<lastIndex>/<key>` per stream (joined by commas, a hundred to a notification; without
 * the keys when they would pass PostgreSQL's 8000-byte cap), which `Listener.onRun` routes by run
 * and followers look at by key (migration 41 for the append).
 */
export function streamStatements(s: string) {
  const notifyStreams = (cte: string, param: string) => `notified AS (
      SELECT pg_notify(${param}, CASE WHEN octet_length(n.keyed) < 8000 THEN n.keyed ELSE n.bare END)
      FROM (
        SELECT string_agg(c.run_id || ':' || c.last_index || '/' || c.key, ',') AS keyed, string_agg(c.run_id || ':' || c.last_index, ',') AS bare
        FROM (SELECT run_id, key, last_index, (row_number() OVER ()) / 100 AS part FROM ${cte}) AS c GROUP BY c.part
      ) AS n)`;

  /** Marks the live chunks `where` picks superseded, bumping each stream's `resets`. $1 run id, last param the channel. */
  const supersede = (where: string, channel: string) => `
      WITH hit AS (
        SELECT key, count(*) AS k, sum(octet_length(data)) AS b FROM ${s}.stream_chunks c
        WHERE c.run_id = $1 AND c.superseded_in IS NULL AND ${where} GROUP BY key
      ),
      bumped AS (
        UPDATE ${s}.run_streams st SET resets = st.resets + 1, chunks = st.chunks - hit.k, bytes = st.bytes - hit.b, updated_at = now()
        FROM hit WHERE st.run_id = $1 AND st.key = hit.key
        RETURNING st.run_id, st.key, st.resets, st.last_index
      ),
      marked AS (
        UPDATE ${s}.stream_chunks c SET superseded_in = b.resets FROM bumped b
        WHERE c.run_id = $1 AND c.key = b.key AND c.superseded_in IS NULL AND ${where}
        RETURNING 1
      ),
      ${notifyStreams("bumped", channel)}
      SELECT (SELECT count(*) FROM marked)::int AS superseded, (SELECT count(*) FROM notified) AS sent`;

  return {
    /**
     * Appends chunks of any runs and streams in one statement (a PL/pgSQL function, migration
     * 38, so that it is planned once per connection, not on every execution): $1 run ids, $2 keys, $3 step seqs,
     * $4 attempt tokens, $5 places, $6 JSON texts, $7 the byte limit per stream, $8 the channel,
     * $9 a number per (run id, key) pair in the batch, to number each stream's chunks without
     * sorting text. Returns `streams`: `[stream no, last index, chunks stored, resets]` for each
     * stream that got chunks, which then hold the indexes up to its last index in the order given.
     * A chunk whose place is taken (a replay) is skipped. Going over a stream's limit fails the
     * statement on the `stream_size` check; a place taken meanwhile by another execution of the
     * run, on `stream_chunks_place` (an ON CONFLICT clause would cost every chunk a speculative
     * insertion: a third of the statement).
     */
    append: `SELECT ${s}.append_stream_chunks($1, $2, $3, $4, $5, $6, $7, $8, $9) AS streams`,

    /** The chunks of one failed step attempt: $1 run id, $2 step seq, $3 attempt token, $4 channel. */
    supersedeAttempt: supersede("c.step_seq = $2 AND c.attempt_token = $3", "$4"),

    /**
     * After a crash: the chunks of every step attempt but those of steps the journal holds as
     * completed ($2), whose attempts that appended them finished. $1 run id, $3 channel.
     */
    supersedeUnfinishedSteps: supersede("c.attempt_token <> 0 AND NOT (c.step_seq = ANY($2::int[]))", "$3"),

    /** A run's streams, in the order they were first appended to. */
    list: `
      SELECT key, last_index, chunks, bytes, resets, created_at, updated_at FROM ${s}.run_streams
      WHERE run_id = $1 ORDER BY created_at, key`,

    /**
     * A run's status and its streams' keys, in the order they were first appended to, in one
     * snapshot: a run finishes only once its appends are stored, so with a final status every
     * key is there. No row: no such run.
     */
    keysOf: `
      SELECT r.status, coalesce((SELECT array_agg(st.key ORDER BY st.created_at, st.key) FROM ${s}.run_streams st WHERE st.run_id = r.id), '{}') AS keys
      FROM ${s}.runs r WHERE r.id = $1`,

    /**
     * One read of a stream, in one snapshot with its run: $1 run id, $2 key, $3 the index read up
     * to, $4 the most chunks, $5 the resets the reader has seen (null: it has seen them all).
     * `reset_from` is the first index superseded since then; the chunks start after it when it is
     * lower than $3. A run whose status is final has every chunk it appended visible here.
     */
    read: `
      SELECT r.id, r.status, r.revision, coalesce(st.last_index, 0) AS last_index, coalesce(st.resets, 0) AS resets, rs.reset_from,
        coalesce(ch.indexes, '{}') AS indexes, coalesce(ch.data, '{}') AS data
      FROM ${s}.runs r
      LEFT JOIN ${s}.run_streams st ON st.run_id = r.id AND st.key = $2
      LEFT JOIN LATERAL (
        SELECT min(c.chunk_index) AS reset_from FROM ${s}.stream_chunks c
        WHERE $5::int IS NOT NULL AND st.resets > $5 AND c.run_id = r.id AND c.key = $2 AND c.superseded_in > $5
      ) rs ON true
      LEFT JOIN LATERAL (
        SELECT array_agg(c.chunk_index ORDER BY c.chunk_index) AS indexes, array_agg(c.data ORDER BY c.chunk_index) AS data
        FROM (
          SELECT chunk_index, data FROM ${s}.stream_chunks
          WHERE run_id = r.id AND key = $2 AND chunk_index > least($3::bigint, coalesce(rs.reset_from - 1, $3::bigint)) AND superseded_in IS NULL
          ORDER BY chunk_index LIMIT $4
        ) c
      ) ch ON true
      WHERE r.id = $1`,
  };
}
