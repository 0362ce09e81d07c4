import { isDeepStrictEqual } from "node:util";
import pg from "pg";
import { isTransactionalStep } from "./chaos-task.ts";

export interface ChaosFigures {
  runs: number;
  statuses: Record<string, number>;
  runsWithFullJournal: number;
  /** Steps whose side row is missing: always a loss. */
  missingSideEffects: number;
  /** Transactional steps with more than one side row: always a loss. */
  transactionalDuplicates: number;
  /** Non-transactional steps with two or more rows: the at-least-once window of a crash. */
  nonTransactionalDuplicates: number;
  /** Steps whose journaled output is not the id of a row the step wrote. */
  journalMismatches: number;
  sideRows: number;
  /**
   * Runs whose wait on their token is not exactly one journaled outcome matching their one
   * token, COMPLETED with that outcome and waited on by no other run.
   */
  waitpointMismatches: number;
  problems: string[];
}

/** Reads the end state from the database and lists every loss. */
export async function verifyChaos(databaseUrl: string, schema: string, sideTable: string, runs: number, steps: number): Promise<ChaosFigures> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await client.query<R>(text, values)).rows;
    const statuses: Record<string, number> = {};
    for (const row of await q<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM "${schema}".runs GROUP BY status`)) {
      statuses[row.status] = row.n;
    }
    const journals = await q<{ run_id: string; entries: { seq: number; key: string; status: string; output: { json: unknown } }[] }>(`
      SELECT r.id AS run_id, coalesce(json_agg(json_build_object('seq', j.seq, 'key', j.key, 'status', j.status, 'output', coalesce(j.output_json, j.output::json))
        ORDER BY j.seq) FILTER (WHERE j.kind = 'task'), '[]') AS entries
      FROM "${schema}".runs r LEFT JOIN "${schema}".journal j ON j.run_id = r.id GROUP BY r.id`);
    const side = await q<{ run_id: string; step: number; tx: boolean; ids: string[] }>(
      `SELECT run_id, step, bool_and(tx) AS tx, array_agg(id::text ORDER BY id) AS ids FROM ${sideTable} GROUP BY run_id, step`,
    );
    const sideByStep = new Map(side.map((s) => [`${s.run_id}/${s.step}`, s]));
    const problems: string[] = [];
    let runsWithFullJournal = 0;
    let missingSideEffects = 0;
    let transactionalDuplicates = 0;
    let nonTransactionalDuplicates = 0;
    let journalMismatches = 0;
    for (const { run_id, entries } of journals) {
      const expectedKeys = Array.from({ length: steps }, (_, i) => `step-${i}`);
      const full = entries.length === steps && entries.every((e, i) => e.key === expectedKeys[i] && e.status === "completed");
      if (full) runsWithFullJournal++;
      else problems.push(`run ${run_id}: journal has ${entries.filter((e) => e.status === "completed").length}/${steps} completed steps`);
      for (let step = 0; step < steps; step++) {
        const rows = sideByStep.get(`${run_id}/${step}`);
        const journaled = entries.find((e) => e.key === `step-${step}`)?.output?.json;
        if (!rows) {
          missingSideEffects++;
          problems.push(`run ${run_id} step ${step}: no side-effect row`);
          continue;
        }
        if (rows.ids.length > 1) {
          if (isTransactionalStep(step)) {
            transactionalDuplicates++;
            problems.push(`run ${run_id} step ${step} (transactional): ${rows.ids.length} side-effect rows`);
          } else nonTransactionalDuplicates++;
        }
        if (full && !rows.ids.includes(String(journaled))) {
          journalMismatches++;
          problems.push(`run ${run_id} step ${step}: journal says row ${String(journaled)}, side table has ${rows.ids.join(",")}`);
        }
      }
    }
    let waitpointMismatches = 0;
    const waits = await q<{ run_id: string; outcomes: { key: string; output: { json: unknown } }[]; tokens: { id: string; status: string; output: { json: unknown }; run_ids: string[] }[] }>(`
      SELECT r.id AS run_id,
        (SELECT coalesce(json_agg(json_build_object('key', j.key, 'output', coalesce(j.output_json, j.output::json))), '[]') FROM "${schema}".journal j
          WHERE j.run_id = r.id AND j.kind = 'waitpoint' AND j.key LIKE 'forToken:%') AS outcomes,
        (SELECT coalesce(json_agg(json_build_object('id', w.id, 'status', w.status, 'output', w.output, 'run_ids', w.run_ids)), '[]')
          FROM "${schema}".waitpoints w WHERE w.idempotency_key LIKE r.id || ':%') AS tokens
      FROM "${schema}".runs r`);
    for (const { run_id, outcomes, tokens } of waits) {
      const [token] = tokens;
      const [outcome] = outcomes;
      const expected = token && { ok: true, output: { completedFor: token.id } };
      const problem =
        tokens.length !== 1 ? `${tokens.length} tokens created`
        : outcomes.length !== 1 ? `${outcomes.length} journaled waits`
        : outcome!.key !== `forToken:${token!.id}` ? `waited on ${outcome!.key}, created ${token!.id}`
        : token!.status !== "COMPLETED" || !isDeepStrictEqual(token!.output?.json, expected!.output) ? `token ${token!.id} is ${token!.status}`
        : !isDeepStrictEqual(outcome!.output.json, expected) ? `journaled ${JSON.stringify(outcome!.output.json)}`
        // None when the controller completed the token before the run reached forToken.
        : token!.run_ids.some((id) => id !== run_id) ? `token waited on by ${token!.run_ids.join(",")}`
        : undefined;
      if (problem) {
        waitpointMismatches++;
        problems.push(`run ${run_id} waitpoint: ${problem}`);
      }
    }
    const notFinished = Object.entries(statuses).filter(([s]) => s !== "SUCCESS");
    if (journals.length !== runs) problems.push(`${journals.length} runs in the database, expected ${runs}`);
    for (const [status, n] of notFinished) problems.push(`${n} runs ${status}`);
    const [{ n: sideRows }] = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${sideTable}`)) as [{ n: number }];
    return {
      runs: journals.length, statuses, runsWithFullJournal, missingSideEffects, transactionalDuplicates,
      nonTransactionalDuplicates, journalMismatches, sideRows, waitpointMismatches, problems,
    };
  } finally {
    await client.end();
  }
}
