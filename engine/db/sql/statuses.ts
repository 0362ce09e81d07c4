/** Statements on `run_statuses` and its append-only `run_status_history`. */
export function statusStatements(s: string) {
  return {
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
