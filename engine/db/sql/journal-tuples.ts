import { entryOutput } from "./journal-output.ts";

/**
 * A run's journal to replay, oldest first, each entry a JSON array in the order of `JournalTuple`
 * (journal/recorded-call.ts). Arrays are half the text of objects and Postgres builds them in half
 * the time, which counts when a 10,000-step run resumes.
 */
export const journalTuples = (s: string, runId: string) => `
        (SELECT coalesce(json_agg(json_build_array(j.seq, j.kind, j.key, j.status, ${entryOutput("j")}, j.error, j.attempts, j.attempts_before_retry)
                  ORDER BY j.seq), '[]'::json)
           FROM ${s}.journal j WHERE j.run_id = ${runId})`;
