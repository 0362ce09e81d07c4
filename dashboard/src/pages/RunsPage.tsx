import { useRuns } from "durably/react";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { Loading } from "../components/Loading.tsx";
import { RunsTable } from "../components/RunsTable.tsx";
import { hrefs, navigate } from "../lib/router.ts";
import { hasAnyFilter, NO_FILTERS, readFilters, toApiFilters, writeFilters, type RunsPageFilters } from "./runs/filters.ts";
import { RunFiltersBar } from "./runs/RunFiltersBar.tsx";
import { StatusChips } from "./runs/StatusChips.tsx";

/** Every run, newest first, live; filters live in the URL so a filtered view can be shared. */
export function RunsPage({ params }: { params: URLSearchParams }) {
  const filters = readFilters(params);
  const result = useRuns(toApiFilters(filters));
  const setFilters = (next: RunsPageFilters) => navigate(hrefs.runs(writeFilters(next)), { replace: true });
  const filtered = hasAnyFilter(filters);

  return (
    <div className="page">
      <div className="page-header">
        <h1>Runs</h1>
        <a className="button primary" href={hrefs.trigger()}>
          Trigger a run
        </a>
      </div>
      <StatusChips counts={result.counts} selected={filters.status} onChange={(status) => setFilters({ ...filters, status })} />
      <RunFiltersBar key={params.toString()} filters={filters} onChange={setFilters} />

      {result.fetchStatus === "loading" && <Loading label="Loading runs…" />}
      {result.fetchStatus === "error" && <ErrorState title="Could not load runs" error={result.error} />}
      {result.fetchStatus === "success" &&
        (result.runs.length === 0 ? (
          filtered ? (
            <EmptyState title="No runs match these filters">
              <button type="button" className="button" onClick={() => setFilters(NO_FILTERS)}>
                Clear filters
              </button>
            </EmptyState>
          ) : (
            <EmptyState title="No runs yet — trigger one">
              <p>Runs appear here as soon as they start, and update live.</p>
              <a className="button primary" href={hrefs.trigger()}>
                Trigger a run
              </a>
            </EmptyState>
          )
        ) : (
          <>
            <RunsTable runs={result.runs} testId="runs-table" />
            <div className="list-footer">
              <span className="muted small">
                {result.runs.length} run{result.runs.length === 1 ? "" : "s"} shown
              </span>
              {result.hasNextPage && (
                <button
                  type="button"
                  className="button"
                  onClick={result.fetchNextPage}
                  disabled={result.isFetchingNextPage}
                  data-testid="load-more"
                >
                  {result.isFetchingNextPage ? "Loading…" : "Load more"}
                </button>
              )}
            </div>
          </>
        ))}
    </div>
  );
}
