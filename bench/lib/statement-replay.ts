import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
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
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as { name?: string; text?: string; values?: unknown[] } | string | undefined;
    const app = (this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters.application_name;
    if (app === "durably" && typeof config === "object" && config?.text) {
      seen.push({ name: config.name, text: config.text, values: [...(config.values ?? [])] });
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  let runId: string;
  try {
    runId = await fn();
  } finally {
    pg.Client.prototype.query = original;
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
