import { formatClock, formatDateTime } from "../../../lib/format.ts";
import { describeInline } from "../../../lib/inline-object.ts";
import type { LogLine } from "./log-types.ts";

/** Where a line sits in the journal: after call #seq, or in attempt n of step #seq. */
export function logPosition(line: LogLine): string {
  if (line.attempt > 0) return `#${line.seq} try ${line.attempt}`;
  return line.seq === 0 ? "start" : `after #${line.seq}`;
}

/** One log line: time, level, message and its fields on one line (all of them on hover). */
export function LogLineCells({ line }: { line: LogLine }) {
  return (
    <>
      <td className="mono small nowrap" title={formatDateTime(line.at)}>
        {formatClock(line.at)}
      </td>
      <td>
        <span className={`log-level log-${line.level}`}>{line.level}</span>
      </td>
      <td className="log-message">
        <span className="cell-text">{line.message}</span>
        {line.fields && (
          <span className="log-fields small" title={JSON.stringify(line.fields, null, 2)}>
            {describeInline(line.fields)}
          </span>
        )}
      </td>
    </>
  );
}
