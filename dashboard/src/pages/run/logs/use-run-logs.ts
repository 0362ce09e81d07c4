import { useEffect, useState } from "react";
import { queryError, RETRY_UNTIL_ANSWERED, useDurably, type DurablyApiError } from "durably/react";
import { apiRequest } from "../../../lib/api-request.ts";
import { matchesFilter, type LogFilter, type LogLine, type LogPage } from "./log-types.ts";

/** More lines than a page shows usefully; past it the first ones are kept and the rest left out. */
const MAX_LINES = 5000;
/** Lines pushed within this long are shown together: a chatty run would otherwise render once a line. */
const PUBLISH_MS = 100;

export type RunLogsState =
  | { fetchStatus: "loading"; lines: undefined; error: undefined; truncated: false }
  | { fetchStatus: "success"; lines: LogLine[]; error: undefined; truncated: boolean }
  | { fetchStatus: "error"; lines: undefined; error: Error; truncated: false };

/**
 * A run's log lines that match `filter`: read page by page, then followed on the run's stream
 * (`?logs=` the last line read) while `live`, so lines appear as the run logs them.
 */
export function useRunLogs(runId: string, filter: LogFilter, live: boolean): RunLogsState {
  const { api, live: liveUpdates } = useDurably();
  const [state, setState] = useState<RunLogsState>({ fetchStatus: "loading", lines: undefined, error: undefined, truncated: false });
  const levels = filter.levels.join(",");

  useEffect(() => {
    let stopped = false;
    let stopFollowing: (() => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let publishing: ReturnType<typeof setTimeout> | undefined;
    let lines: LogLine[] = [];
    const pushed: LogLine[] = [];
    let cursor = "0";
    const publish = () => setState({ fetchStatus: "success", lines, error: undefined, truncated: lines.length >= MAX_LINES });
    const path = `/api/runs/${encodeURIComponent(runId)}`;

    // On the run page's one connection to the run (shared with its run and streams hooks), which
    // resumes after the last line taken when it drops.
    const follow = () => {
      if (stopped || lines.length >= MAX_LINES) return;
      stopFollowing = liveUpdates.logs.follow(api, runId, {
        after: cursor,
        onLine: (line) => {
          cursor = line.id;
          if (!matchesFilter(line, filter) || lines.length + pushed.length >= MAX_LINES) return;
          pushed.push(line);
          publishing ??= setTimeout(() => {
            publishing = undefined;
            lines = [...lines, ...pushed.splice(0)];
            publish();
          }, PUBLISH_MS);
        },
      });
    };

    // An engine that does not answer is asked again, as the hooks do: every few seconds, saying
    // why once three retries are spent, until it is back.
    let failures = 0;
    const load = async () => {
      const query = new URLSearchParams({ limit: "1000" });
      if (levels) query.set("level", levels);
      if (filter.search) query.set("search", filter.search);
      for (;;) {
        query.set("cursor", cursor);
        const page = await apiRequest<LogPage>(api, "GET", `${path}/logs?${query}`);
        if (stopped) return;
        lines = [...lines, ...page.data].slice(0, MAX_LINES);
        cursor = page.data.at(-1)?.id ?? cursor;
        if (!page.nextCursor || lines.length >= MAX_LINES) break;
      }
      publish();
      if (live) follow();
    };
    const attempt = () =>
      load().catch((failure: DurablyApiError) => {
        if (stopped) return;
        // A 4xx is said at once and not asked again: retrying cannot fix it.
        const retrying = RETRY_UNTIL_ANSWERED.retry(failures, failure);
        const error = retrying ? queryError({ error: null, failureCount: ++failures, failureReason: failure }) : failure;
        if (error) setState({ fetchStatus: "error", lines: undefined, error, truncated: false });
        if (retrying) timer = setTimeout(attempt, RETRY_UNTIL_ANSWERED.retryDelay(failures));
      });
    void attempt();
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(publishing);
      stopFollowing?.();
    };
    // `filter` is read through its parts: a new object with the same levels and text is the same filter.
  }, [api, liveUpdates, runId, levels, filter.search, live]);

  return state;
}
