import { useRunMetadataHistory, type Run } from "durably/react";
import { Card } from "../../components/Card.tsx";
import { ChangeMadeBy } from "../../components/MetadataRollup.tsx";
import { ErrorState } from "../../components/ErrorState.tsx";
import { JsonValueCell } from "../../components/JsonValueCell.tsx";
import { KeyValueTable } from "../../components/KeyValueTable.tsx";
import { Loading } from "../../components/Loading.tsx";
import { formatClock, formatDateTime } from "../../lib/format.ts";

/** The run's metadata now (live), or as of `at`, and every change that led to it. */
export function MetadataSection({ run, at }: { run: Run; at?: Date | undefined }) {
  const { changes } = useRunMetadataHistory(run.id, { at });
  const entries = Object.entries(at === undefined ? run.metadata : (changes?.at(-1)?.metadata ?? {}));
  return (
    <Card title="Metadata">
      <div className="metadata-grid">
        <div>
          <h3>{at === undefined ? "Current" : "Then"}</h3>
          {entries.length === 0 ? (
            <p className="muted">No metadata.</p>
          ) : (
            <KeyValueTable entries={entries} testId="metadata-current" />
          )}
        </div>
        <div>
          <h3>Changes</h3>
          <MetadataHistoryTable runId={run.id} at={at} />
        </div>
      </div>
    </Card>
  );
}

function MetadataHistoryTable({ runId, at }: { runId: string; at: Date | undefined }) {
  const { fetchStatus, error, changes } = useRunMetadataHistory(runId, { at });
  if (fetchStatus === "loading") return <Loading />;
  if (fetchStatus === "error") return <ErrorState title="Could not load metadata history" error={error} />;
  if (changes.length === 0) return <p className="muted">No changes.</p>;
  return (
    <div className="table-wrap">
      <table className="table compact" data-testid="metadata-history">
        <thead>
          <tr>
            <th>Time</th>
            <th>Op</th>
            <th>Key</th>
            <th>Value</th>
            <th>By</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((change) => (
            <tr key={change.seq}>
              <td className="mono small nowrap" title={formatDateTime(change.at)}>
                {formatClock(change.at)}
              </td>
              <td>
                <span className={`op op-${change.op}`}>{change.op}</span>
              </td>
              <td className="mono">{change.key ?? "—"}</td>
              <td>
                {/* "trigger" sets the whole object at once: show it rather than an empty value. */}
                <JsonValueCell value={change.op === "del" ? undefined : change.op === "trigger" ? change.metadata : change.value} inline />
              </td>
              <td>
                <ChangeMadeBy change={change} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
