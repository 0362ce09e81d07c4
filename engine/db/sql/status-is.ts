/**
 * A status test of runs found by other means (by key, by lease, by their token, the ready index),
 * in the "C" collation, which no status index nor partial index of a state can serve. Statistics
 * gathered while few or no runs were in that state (a table of finished runs, every ANALYZE
 * between bursts) estimate one run in it, and the planner walked the state's entries, dead ones of
 * every run since the last VACUUM included, each checked in the table, or joined a batch with
 * them, comparing every item with every run in the state, instead of probing each run by key: a
 * journal batch's fence 1.5 ms of 5, a heartbeat 10–400 ms, a claim 1,200 buffers at a million
 * runs. Equality under "C" is equality under any deterministic collation.
 */
export const statusIs = (r: string, status: string) => `${r}.status = '${status}' COLLATE "C"`;
