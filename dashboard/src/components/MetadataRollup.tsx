import { useRunMetadataHistory, type MetadataChange } from "durably/react";
import { formatClock, formatDateTime } from "../lib/format.ts";
import { hrefs } from "../lib/router.ts";
import { Card } from "./Card.tsx";
import { JsonValueCell } from "./JsonValueCell.tsx";

interface ChildRollup {
  childRunId: string;
  changes: MetadataChange[];
}

/** What each child run changed in this run's metadata (`metadata.parent` / `metadata.root`), live: one row per child. */
export function MetadataRollup({ runId }: { runId: string }) {
  const { changes } = useRunMetadataHistory(runId);
  const byChild = new Map<string, ChildRollup>();
  for (const change of changes ?? []) {
    if (!change.childRunId) continue;
    const rollup = byChild.get(change.childRunId) ?? { childRunId: change.childRunId, changes: [] };
    rollup.changes.push(change);
    byChild.set(change.childRunId, rollup);
  }
  if (byChild.size === 0) return null;
  return (
    <Card title={`Metadata from child runs (${byChild.size})`} testId="metadata-rollup">
      <div className="table-wrap">
        <table className="table compact">
          <thead>
            <tr>
              <th>Child run</th>
              <th>Changes</th>
              <th>Last change</th>
              <th>At</th>
            </tr>
          </thead>
          <tbody>
            {[...byChild.values()].map(({ childRunId, changes: made }) => {
              const last = made.at(-1)!;
              return (
                <tr key={childRunId} data-testid="metadata-rollup-row">
                  <td>
                    <a className="mono" href={hrefs.run(childRunId)}>
                      {childRunId}
                    </a>
                  </td>
                  <td>{made.length}</td>
                  <td>
                    <span className={`op op-${last.op}`}>{last.op}</span> <span className="mono">{last.key}</span>{" "}
                    <JsonValueCell value={last.op === "del" ? undefined : last.value} inline />
                  </td>
                  <td className="mono small nowrap" title={formatDateTime(last.at)}>
                    {formatClock(last.at)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

/** Who made a metadata change: a child run (linked), or the run itself. */
export function ChangeMadeBy({ change }: { change: MetadataChange }) {
  if (!change.childRunId) return <span className="muted small">this run</span>;
  return (
    <a className="mono small" href={hrefs.run(change.childRunId)} data-testid="change-by-child">
      {change.childRunId}
    </a>
  );
}
