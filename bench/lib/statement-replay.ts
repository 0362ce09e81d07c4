import { randomBytes, randomUUID } from "node:crypto";
import { tapQueries } from "./query-tap.ts";
import { connectClient } from "./schema.ts";

interface Statement {
  name: string | undefined;
  text: string;
  values: unknown[];
}

/**
 * The statements one run made, replayed for a new run on one raw connection: what the engine's
 * SQL costs with no engine around it. The gap between a run and its replay is the engine's own
 * time (Node between statements, and around each); the gap between the replay and as many
 * one-row commits is the weight of the statements themselves.
 */
export interface StatementReplay {
  readonly statements: number;
  /** Replays the run's statements once, for a new run id and lease; ms. */
  sample(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Records the statements the engine sends on connections named `durably` while `fn` runs one
 * run (the statements naming `runId` of what `fn` returns), for `openStatementReplay`. The
 * recording patches node-postgres's `Client.query` for that long only.
 */
export async function recordRunStatements(fn: () => Promise<string>): Promise<RecordedRun> {
  const seen: Statement[] = [];
  const untap = tapQueries(({ app, name, text, values }) => {
    if (app === "durably" && text) seen.push({ name, text, values: [...(values ?? [])] });
  });
  let runId: string;
  try {
    runId = await fn();
  } finally {
    untap();
  }
  const statements = seen.filter((s) => s.values.some((v) => typeof v === "string" && v.includes(runId)));
  // The trigger that started the run here wrote the lease it executed under.
  const lease = statements.flatMap((s) => s.values).map((v) => typeof v === "string" && /"lease":"([0-9a-f-]{36})"/.exec(v)?.[1]).find(Boolean);
  if (!lease) throw new Error("the recorded run was not started by its trigger: no lease to replace");
  return { runId, lease, statements };
}

interface RecordedRun {
  runId: string;
  lease: string;
  statements: Statement[];
}

export async function openStatementReplay(url: string, recorded: RecordedRun): Promise<StatementReplay> {
  const client = await connectClient(url);
  const replay = async (check = false) => {
    // A fresh id of the recorded one's length for each replay, as the trigger makes one.
    const suffix = randomBytes(6).toString("hex");
    const runId = recorded.runId.slice(0, -suffix.length) + suffix;
    const lease = randomUUID();
    const swap = (v: unknown) => (typeof v === "string" ? v.replaceAll(recorded.runId, runId).replaceAll(recorded.lease, lease) : v);
    const t0 = performance.now();
    for (const s of recorded.statements) {
      const { rowCount } = await client.query({ name: s.name, text: s.text, values: s.values.map(swap) });
      if (check && !rowCount) throw new Error(`a replayed statement changed nothing: ${s.text.replace(/\s+/g, " ").slice(0, 80)}`);
    }
    return performance.now() - t0;
  };
  // The replayed run must end as the recorded one did: a statement refused by the lease fence
  // would cost less than the engine's and flatter the engine's SQL.
  await replay(true);
  return {
    statements: recorded.statements.length,
    sample: () => replay(),
    close: () => client.end(),
  };
}
