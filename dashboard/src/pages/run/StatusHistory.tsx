import type { StatusVersion } from "durably/react";
import { StateBadge } from "../../components/StateBadge.tsx";
import { formatClock, formatDateTime } from "../../lib/format.ts";
import { StatusDataSummary } from "./StatusDataSummary.tsx";

/** Earlier versions of one status, oldest first. */
export function StatusHistory({ history, testId }: { history: StatusVersion[]; testId: string }) {
  if (history.length === 0) {
    return (
      <p className="muted small" data-testid={testId}>
        No earlier versions.
      </p>
    );
  }
  return (
    <table className="table compact" data-testid={testId}>
      <thead>
        <tr>
          <th>Time</th>
          <th>Label</th>
          <th>State</th>
          <th>Data</th>
        </tr>
      </thead>
      <tbody>
        {history.map((version, index) => (
          <tr key={`${version.at}-${index}`}>
            <td className="mono small nowrap" title={formatDateTime(version.at)}>
              {formatClock(version.at)}
            </td>
            <td>{version.label}</td>
            <td>
              <StateBadge state={version.state} live={false} />
            </td>
            <td>
              <StatusDataSummary data={version.data} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
