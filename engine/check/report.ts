import type { JournalCall } from "../../sdk/errors.ts";
import type { CheckResult } from "./check-runs.ts";

const show = (call: JournalCall | null, missing: string) => (call ? `${call.kind}("${call.key}")` : missing);

/** A readable diff per diverging run, then a one-line summary. */
export function formatCheck(results: CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const head = `${r.runId}  ${r.taskId}@${r.version}  (${r.status})`;
    if (r.outcome === "diverged" && r.divergence) {
      const d = r.divergence;
      lines.push(`✗ ${head}  diverges at seq ${d.seq}`);
      lines.push(`    - recorded:  ${show(d.recorded, "nothing (the journal ends here)")}`);
      lines.push(`    + new code:  ${show(d.current, "nothing (the code no longer makes this call)")}`);
      if (d.callSite) lines.push(`      at ${d.callSite}`);
    } else if (r.outcome === "timeout") {
      lines.push(`? ${head}  did not reach the end of its journal in time`);
    } else if (r.outcome === "skipped") {
      lines.push(`- ${head}  skipped: no task "${r.taskId}" in the checked files`);
    } else if (r.threw) {
      lines.push(`! ${head}  replays, but the code now throws: ${r.threw}`);
    }
  }
  const count = (o: CheckResult["outcome"]) => results.filter((r) => r.outcome === o).length;
  lines.push(`${count("ok")} ok, ${count("diverged")} diverged, ${count("timeout")} timed out, ${count("skipped")} skipped (${results.length} runs checked)`);
  return lines.join("\n");
}

/** Non-zero when a deploy should stop: a run diverged or could not be checked to its end. */
export function checkExitCode(results: CheckResult[]): number {
  return results.some((r) => r.outcome === "diverged" || r.outcome === "timeout") ? 1 : 0;
}
