import { createInterface } from "node:readline/promises";
import type { JournalCall } from "../../sdk/errors.ts";
import type { RepairPlan, RepairPoint } from "../check/repair.ts";
import type { Cli } from "./context.ts";

const call = (c: JournalCall | null) => (c ? `${c.kind}("${c.key}")` : "nothing");

function describePoint(p: RepairPoint): string {
  const head = `${p.runId}  ${p.taskId}@${p.version}  from seq ${p.fromSeq}`;
  if (p.reason === "diverged") return `${head}: the code now calls ${call(p.current)} where ${call(p.recorded)} was recorded`;
  if (p.reason === "failed-step") return `${head}: ${call(p.recorded)} failed and runs again`;
  return `${head}: every recorded call matches; the code after them runs again`;
}

export function formatPlan(plan: RepairPlan): string {
  const lines = [`${plan.points.length} failed run${plan.points.length === 1 ? "" : "s"} to fork from the first step that now runs differently:`];
  for (const p of plan.points) lines.push(`  ${describePoint(p)}`);
  for (const r of plan.unchecked) lines.push(`  ? ${r.runId}  ${r.taskId}@${r.version}: not repaired (${r.outcome === "skipped" ? "no code for this task" : "did not replay in time"})`);
  return lines.join("\n");
}

async function confirmed(cli: Cli, count: number): Promise<boolean> {
  if (cli.flags.yes) return true;
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`Fork these ${count} runs? [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

/**
 * `durably check <files> --repair`: the plan, then (confirmed, or with --yes) a fork of each run
 * from its own step. Without a confirmation nothing is forked.
 */
export async function repair(cli: Cli, plan: RepairPlan): Promise<void> {
  if (!cli.flags.json) process.stdout.write(formatPlan(plan) + "\n");
  if (plan.points.length === 0 || !(await confirmed(cli, plan.points.length))) {
    cli.print({ ...plan, forks: [] }, () => (plan.points.length ? "Nothing forked: confirm, or pass --yes." : "Nothing to repair."));
    return;
  }
  const forks = await cli.withService(async (service) => {
    const made: { runId: string; fromSeq: number; forkId: string }[] = [];
    for (const p of plan.points) made.push({ runId: p.runId, fromSeq: p.fromSeq, forkId: (await service.forkRun(p.runId, { fromSeq: p.fromSeq })).id });
    return made;
  });
  cli.print({ ...plan, forks }, () => forks.map((f) => `forked ${f.runId} from seq ${f.fromSeq}: ${f.forkId}`).join("\n"));
}
