import { configure, disconnect } from "../../sdk/backend.ts";
import { uniqueDefinitions } from "../../sdk/definable.ts";
import { checkRuns, type CheckResult } from "../check/check-runs.ts";
import { checkExitCode, formatCheck } from "../check/report.ts";
import { planRepair, type RepairPlan } from "../check/repair.ts";
import { Database } from "../db/database.ts";
import { buildStatements } from "../db/sql/index.ts";
import { createLogger } from "../logger.ts";
import { resolveOptions } from "../options.ts";
import { loadDefinables, type Cli } from "./context.ts";
import { UsageError } from "./flags.ts";
import { repair } from "./repair.ts";

/** `durably check <entry files…>`: its verdict is the exit code; with --repair, forks the failed runs instead. */
export async function checkCommand(cli: Cli, files: string[]): Promise<void> {
  const { flags } = cli;
  if (files.length === 0) throw new UsageError("durably check needs the entry files that define your tasks");
  const since = flags.since === undefined ? undefined : new Date(flags.since);
  if (since && Number.isNaN(since.getTime())) throw new UsageError("--since must be an ISO date");
  const definitions = uniqueDefinitions(await loadDefinables(files));
  const o = resolveOptions(cli.connection());
  const db = new Database(o.databaseUrl, 2, createLogger("warn"), { namedStatements: !o.pooled });
  // A replayed wait.createToken reads its token's URL back (its journal keeps only the id): from
  // this schema, on a pool opened only if some run asks.
  configure({ databaseUrl: o.databaseUrl, schema: o.schema });
  const filter = { ...(flags.run ? { runId: flags.run } : {}), ...(flags.task ? { taskId: flags.task } : {}), ...(since ? { since } : {}) };
  let results: CheckResult[] | undefined;
  let plan: RepairPlan | undefined;
  try {
    if (flags.repair) plan = await planRepair(db, buildStatements(o.schema), definitions, filter);
    else results = await checkRuns(db, buildStatements(o.schema), definitions, filter);
  } finally {
    await db.end();
    await disconnect();
  }
  if (plan) return repair(cli, plan);
  if (!results) return;
  cli.print(results, () => formatCheck(results));
  process.exitCode = checkExitCode(results);
}
