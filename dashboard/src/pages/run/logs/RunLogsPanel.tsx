import { useEffect, useState } from "react";
import { isFinalRunStatus, type Run } from "durably/react";
import { ErrorState } from "../../../components/ErrorState.tsx";
import { Loading } from "../../../components/Loading.tsx";
import { LogLineCells, logPosition } from "./LogLineRow.tsx";
import { LOG_LEVELS, type RunLogLevel } from "./log-types.ts";
import { useRunLogs } from "./use-run-logs.ts";

const SEARCH_DELAY_MS = 250;

/** The Logs tab: every line the run logged, filtered by level and text, growing while the run runs. */
export function RunLogsPanel({ run }: { run: Run }) {
  const [levels, setLevels] = useState<RunLogLevel[]>([]);
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed]);
  const logs = useRunLogs(run.id, { levels, search }, !isFinalRunStatus(run.status));
  const toggle = (level: RunLogLevel) => setLevels((now) => (now.includes(level) ? now.filter((l) => l !== level) : [...now, level]));

  return (
    <div className="run-logs" data-testid="run-logs">
      <div className="logs-toolbar">
        <div className="chips" role="group" aria-label="Levels">
          {LOG_LEVELS.map((level) => (
            <button
              key={level}
              type="button"
              className={`chip ${levels.includes(level) ? "selected" : ""}`}
              aria-pressed={levels.includes(level)}
              data-testid={`log-level-${level}`}
              onClick={() => toggle(level)}
            >
              {level}
            </button>
          ))}
        </div>
        <input
          className="logs-search"
          type="search"
          placeholder="Search messages and fields"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
          data-testid="log-search"
        />
      </div>
      {logs.fetchStatus === "loading" && <Loading label="Loading logs…" />}
      {logs.fetchStatus === "error" && <ErrorState title="Could not load the logs" error={logs.error} />}
      {logs.fetchStatus === "success" &&
        (logs.lines.length === 0 ? (
          <p className="muted" data-testid="logs-empty">
            {levels.length > 0 || search
              ? "No line matches these filters."
              : isFinalRunStatus(run.status)
                ? "This run logged nothing."
                : "No lines logged yet."}
          </p>
        ) : (
          <div className="table-wrap">
            <table className="table compact logs-table" data-testid="logs-table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Level</th>
                  <th>Message</th>
                  <th>Position</th>
                </tr>
              </thead>
              <tbody>
                {logs.lines.map((line) => (
                  <tr key={line.id} data-testid="log-line" data-level={line.level}>
                    <LogLineCells line={line} />
                    <td className="mono small nowrap muted">{logPosition(line)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {logs.truncated && <p className="muted small">Showing the first {logs.lines.length} lines: filter to see others.</p>}
          </div>
        ))}
    </div>
  );
}
