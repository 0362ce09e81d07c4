/** Statements on `run_statuses` and its append-only `run_status_history`. */
export function statusStatements(s: string) {
  return {
    /** A fork's statuses: the history before the fork point, and the latest version of each key in it. */
    copyHistoryBefore: `
      INSERT INTO ${s}.run_status_history (run_id, seq, key, label, state, data, at)
      SELECT $1, seq, key, label, state, data, at FROM ${s}.run_status_history WHERE run_id = $2 AND seq < $3`,
    latestFromHistory: `
      INSERT INTO ${s}.run_statuses (run_id, key, label, state, data, seq, updated_at)
      SELECT DISTINCT ON (key) run_id, key, label, state, data, seq, at FROM ${s}.run_status_history
      WHERE run_id = $1 ORDER BY key, seq DESC`,

    ofRun: `
      SELECT st.key, st.label, st.state, st.data, st.updated_at,
        coalesce((SELECT json_agg(json_build_object('label', h.label, 'state', h.state, 'data', h.data, 'at', h.at) ORDER BY h.seq)
           FROM ${s}.run_status_history h WHERE h.run_id = st.run_id AND h.key = st.key AND h.seq < st.seq), '[]'::json) AS history
      FROM ${s}.run_statuses st WHERE st.run_id = $1
      ORDER BY (SELECT min(h.seq) FROM ${s}.run_status_history h WHERE h.run_id = st.run_id AND h.key = st.key)`,

    one: `
      SELECT st.key, st.label, st.state, st.data, st.updated_at,
        coalesce((SELECT json_agg(json_build_object('label', h.label, 'state', h.state, 'data', h.data, 'at', h.at) ORDER BY h.seq)
           FROM ${s}.run_status_history h WHERE h.run_id = st.run_id AND h.key = st.key AND h.seq < st.seq), '[]'::json) AS history
      FROM ${s}.run_statuses st WHERE st.run_id = $1 AND st.key = (SELECT key FROM ${s}.run_status_history WHERE run_id = $1 AND seq = $2)`,
  };
}
