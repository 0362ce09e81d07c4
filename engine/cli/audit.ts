import { writeFileSync } from "node:fs";
import { RunNotFoundError } from "../../sdk/errors.ts";
import { auditCsv, auditHistory } from "../audit/export.ts";
import { verifyAudit } from "../audit/verify.ts";
import { Database } from "../db/database.ts";
import { checkInstalled } from "../db/installed.ts";
import { buildStatements, type Statements } from "../db/sql/index.ts";
import { createLogger } from "../logger.ts";
import { resolveOptions } from "../options.ts";
import type { Cli } from "./context.ts";
import { UsageError, unknownCommand } from "./flags.ts";

/** `durably audit verify|export`: the audit chain of statuses and metadata (docs/audit.md). */
export async function auditCommand(cli: Cli, sub: string | undefined, arg: string | undefined): Promise<void> {
  if (sub === "verify") return verify(cli);
  if (sub === "export") return exportRun(cli, arg);
  throw unknownCommand("audit", sub, "verify or export");
}

async function verify(cli: Cli): Promise<void> {
  const { flags } = cli;
  if (flags.run && flags.since) throw new UsageError("--run and --since go apart: a run, or the runs created since a date");
  const since = flags.since === undefined ? undefined : new Date(flags.since);
  if (since && Number.isNaN(since.getTime())) throw new UsageError("--since must be an ISO date");
  const result = await withDatabase(cli, (db, sql) => verifyAudit(db, sql, { ...(flags.run ? { runId: flags.run } : {}), ...(since ? { since } : {}) }));
  if (flags.run && result.runs === 0) throw new RunNotFoundError(flags.run);
  cli.print(result, () => {
    const older = result.unhashed ? `; ${result.unhashed} older version(s) predate the audit chain and were not checked` : "";
    if (!result.broken) return `OK: ${result.verified} version(s) of ${result.runs} run(s) verified${older}`;
    const b = result.broken;
    return `BROKEN: run ${b.runId}, ${b.table}${b.seq === null ? "" : ` seq ${b.seq}`}: ${b.reason}`;
  });
  if (result.broken) process.exitCode = 1;
}

async function exportRun(cli: Cli, runId: string | undefined): Promise<void> {
  const { flags } = cli;
  if (!runId) throw new UsageError("durably audit export needs a run id");
  const format = flags.format ?? "json";
  if (format !== "json" && format !== "csv") throw new UsageError("--format must be json or csv");
  const history = await withDatabase(cli, (db, sql) => auditHistory(db, sql, runId));
  if (!history) throw new RunNotFoundError(runId);
  const text = format === "csv" ? auditCsv(history.versions) : JSON.stringify(history, null, 2) + "\n";
  if (flags.output) writeFileSync(flags.output, text);
  else process.stdout.write(text);
}

async function withDatabase<T>(cli: Cli, fn: (db: Database, sql: Statements) => Promise<T>): Promise<T> {
  const o = resolveOptions(cli.connection());
  const db = new Database(o.databaseUrl, 1, createLogger("warn"), { namedStatements: !o.pooled });
  try {
    await checkInstalled(db, o.schema, o.databaseUrl);
    return await fn(db, buildStatements(o.schema));
  } finally {
    await db.end();
  }
}
