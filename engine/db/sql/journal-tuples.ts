/**
 * A run's journal to replay, oldest first, each entry a JSON array in the order of `JournalTuple`
 * (journal/recorded-call.ts). Arrays are half the text of objects and Postgres builds them in half
 * the time, which counts when a 10,000-step run resumes. Both output columns go as they are
 * (./journal-output.ts): merging them in SQL converted each old entry's jsonb once more, 5–20%
 * of the statement.
 */
export const journalTuples = (s: string, runId: string) => `
        (SELECT coalesce(json_agg(json_build_array(j.seq, j.kind, j.key, j.status, j.output_json, j.error, j.attempts, j.attempts_before_retry, j.output)
                  ORDER BY j.seq), '[]'::json)
           FROM ${s}.journal j WHERE j.run_id = ${runId})`;
