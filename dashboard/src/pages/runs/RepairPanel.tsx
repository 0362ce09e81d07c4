import { useEffect, useState } from "react";
import { useDurably, type RepairPlan, type RepairPoint } from "durably/react";
import { hrefs } from "../../lib/router.ts";

type Step =
  | { kind: "loading" }
  | { kind: "plan"; plan: RepairPlan; forking: boolean }
  | { kind: "forked"; forks: { runId: string; fromSeq: number; forkId: string }[] }
  | { kind: "failed"; message: string };

const call = (c: RepairPoint["recorded"]) => (c ? `${c.kind}("${c.key}")` : "nothing");

function why(point: RepairPoint): string {
  if (point.reason === "diverged") return `the code now calls ${call(point.current)} where ${call(point.recorded)} was recorded`;
  if (point.reason === "failed-step") return `${call(point.recorded)} failed and runs again`;
  return "every recorded call matches; the code after them runs again";
}

/**
 * Repair from the first divergence: the engine replays each failed run of the task against the
 * code it runs now and names the first step that would run differently; confirmed, each run is
 * forked from its own step.
 */
export function RepairPanel({ taskId, onClose }: { taskId: string; onClose: () => void }) {
  const { api, queryClient } = useDurably();
  const [step, setStep] = useState<Step>({ kind: "loading" });
  useEffect(() => {
    let live = true;
    api.getRepairPlan(taskId).then(
      (plan) => live && setStep({ kind: "plan", plan, forking: false }),
      (error: Error) => live && setStep({ kind: "failed", message: error.message }),
    );
    return () => {
      live = false;
    };
  }, [api, taskId]);

  const fork = (plan: RepairPlan) => {
    setStep({ kind: "plan", plan, forking: true });
    api.repairRuns(taskId, plan.points.map((p) => ({ runId: p.runId, fromSeq: p.fromSeq }))).then(
      ({ forks }) => {
        setStep({ kind: "forked", forks });
        void queryClient.invalidateQueries();
      },
      (error: Error) => setStep({ kind: "failed", message: error.message }),
    );
  };

  return (
    <section className="card repair-panel" data-testid="repair-panel">
      <div className="repair-head">
        <h2>Repair failed runs of {taskId}</h2>
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
      {step.kind === "loading" && <p className="muted">Replaying failed runs against the current code…</p>}
      {step.kind === "failed" && <p className="bulk-error" role="alert">{step.message}</p>}
      {step.kind === "plan" && (
        <>
          {step.plan.points.length === 0 ? (
            <p className="muted">No failed run to repair.</p>
          ) : (
            <table className="table" data-testid="repair-plan">
              <thead>
                <tr>
                  <th>Run</th>
                  <th className="num">Fork from</th>
                  <th>First step that now runs differently</th>
                </tr>
              </thead>
              <tbody>
                {step.plan.points.map((point) => (
                  <tr key={point.runId} data-testid={`repair-${point.runId}`}>
                    <td>
                      <a className="mono" href={hrefs.run(point.runId)}>
                        {point.runId}
                      </a>
                    </td>
                    <td className="num">seq {point.fromSeq}</td>
                    <td>{why(point)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {step.plan.unchecked.map((r) => (
            <p key={r.runId} className="muted small">
              {r.runId}: not repaired ({r.outcome === "skipped" ? "this engine has no code for the task" : "did not replay in time"})
            </p>
          ))}
          {step.plan.points.length > 0 && (
            <button type="button" className="button primary" data-testid="repair-confirm" disabled={step.forking} onClick={() => fork(step.plan)}>
              {step.forking ? "Forking…" : `Fork ${step.plan.points.length} run${step.plan.points.length === 1 ? "" : "s"} from their steps`}
            </button>
          )}
        </>
      )}
      {step.kind === "forked" && (
        <ul className="repair-forks" data-testid="repair-forks">
          {step.forks.map((f) => (
            <li key={f.runId}>
              <span className="mono">{f.runId}</span> forked from seq {f.fromSeq} as{" "}
              <a className="mono" href={hrefs.run(f.forkId)}>
                {f.forkId}
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
