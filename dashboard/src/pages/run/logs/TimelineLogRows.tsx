import { formatClock, formatDateTime } from "../../../lib/format.ts";
import { describeInline } from "../../../lib/inline-object.ts";
import type { LogLine } from "./log-types.ts";

/** Log lines as rows of the timeline table (8 columns), under the io call they belong to. */
export function TimelineLogRows({ lines }: { lines: LogLine[] }) {
  return (
    <>
      {lines.map((line) => (
        <tr key={`log-${line.id}`} className="timeline-log" data-testid="timeline-log" data-seq={line.seq}>
          <td />
          <td>
            <span className={`log-level log-${line.level}`}>{line.level}</span>
          </td>
          <td colSpan={6} className="log-message">
            <span className="mono small muted nowrap" title={formatDateTime(line.at)}>
              {formatClock(line.at)}
            </span>{" "}
            {line.attempt > 0 && <span className="small muted">try {line.attempt} · </span>}
            <span className="cell-text">{line.message}</span>
            {line.fields && (
              <span className="log-fields small" title={JSON.stringify(line.fields, null, 2)}>
                {describeInline(line.fields)}
              </span>
            )}
          </td>
        </tr>
      ))}
    </>
  );
}
