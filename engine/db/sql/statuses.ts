import { entryOutputJsonb } from "./journal-output.ts";

/**
 * Statuses, read from their journal entries: each `status` entry holds the status as it became
 * ({ key, label, state, data } in output.json), when it committed in finished_at.
 */
export function statusStatements(s: string) {
  return {
    /** Each status key of the run, latest value first-come ordered, with the values it showed before. */
    ofRun: `
      WITH v AS (
        SELECT j.seq, ${entryOutputJsonb("j")} -> 'json' AS value, ${entryOutputJsonb("j")} -> 'json' ->> 'key' AS key, j.finished_at AS at
        FROM ${s}.journal j WHERE j.run_id = $1 AND j.kind = 'status' AND j.status = 'completed'
      )
      SELECT latest.key, latest.value ->> 'label' AS label, latest.value ->> 'state' AS state,
        latest.value -> 'data' AS data, latest.at AS updated_at,
        coalesce((SELECT json_agg(json_build_object('label', h.value ->> 'label', 'state', h.value ->> 'state',
            'data', h.value -> 'data', 'at', h.at) ORDER BY h.seq)
          FROM v h WHERE h.key = latest.key AND h.seq < latest.seq), '[]'::json) AS history
      FROM (SELECT DISTINCT ON (key) * FROM v ORDER BY key, seq DESC) AS latest
      ORDER BY (SELECT min(f.seq) FROM v f WHERE f.key = latest.key)`,
  };
}
