import { useEffect } from "react";
import { useDurably, type Run } from "durably/react";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { Loading } from "../components/Loading.tsx";
import { RunsTable } from "../components/RunsTable.tsx";
import { apiRequest } from "../lib/api-request.ts";
import { useEngineQuery } from "../lib/use-engine-query.ts";
import { formatDateTime } from "../lib/format.ts";
import { hrefs, navigate } from "../lib/router.ts";

interface SearchAnswer {
  runs: Run[];
  events: { id: string; name: string; createdAt: string }[];
}

/**
 * What the header's search found: a single run or event opens at once (replacing this page in
 * the history, so Back returns to where the search was made); several are listed.
 */
export function SearchPage({ query }: { query: string }) {
  const { api, keys } = useDurably();
  const result = useEngineQuery({
    queryKey: [...keys.root, "search", query],
    queryFn: () => apiRequest<SearchAnswer>(api, "GET", `/api/search?q=${encodeURIComponent(query)}`),
    enabled: query !== "",
  });
  const answer = result.data;
  const only = answer && answer.runs.length + answer.events.length === 1 ? (answer.runs[0] ? hrefs.run(answer.runs[0].id) : hrefs.event(answer.events[0]!.id)) : undefined;
  useEffect(() => {
    if (only) navigate(only, { replace: true });
  }, [only]);

  return (
    <div className="page" data-testid="search-page">
      <div className="page-header">
        <h1>Search: {query}</h1>
      </div>
      {result.loading && <Loading label="Searching…" />}
      {result.error && <ErrorState title="Could not search" error={result.error} />}
      {answer && !only && answer.runs.length === 0 && answer.events.length === 0 && (
        <EmptyState title="Nothing found">
          <p>
            No run has the id or idempotency key <code>{query}</code>, and no event has that id.
          </p>
        </EmptyState>
      )}
      {answer && !only && answer.events.length > 0 && (
        <ul className="search-events">
          {answer.events.map((event) => (
            <li key={event.id}>
              Event <a href={hrefs.event(event.id)} className="mono">{event.id}</a> ({event.name}, {formatDateTime(event.createdAt)})
            </li>
          ))}
        </ul>
      )}
      {answer && !only && answer.runs.length > 0 && <RunsTable runs={answer.runs} testId="search-runs" />}
    </div>
  );
}
