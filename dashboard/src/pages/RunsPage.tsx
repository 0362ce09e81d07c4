import { useState } from "react";
import { useRuns } from "durably/react";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { Loading } from "../components/Loading.tsx";
import { RunsTable } from "../components/RunsTable.tsx";
import { hrefs, navigate } from "../lib/router.ts";
import { hasAnyFilter, NO_FILTERS, readFilters, toApiFilters, writeFilters, type RunsPageFilters } from "./runs/filters.ts";
import { RunFiltersBar } from "./runs/RunFiltersBar.tsx";
import { StatusChips } from "./runs/StatusChips.tsx";
import { BulkActionBar, bulkFilterOf } from "./runs/BulkActionBar.tsx";
import { RepairPanel } from "./runs/RepairPanel.tsx";

/** Every run, newest first, live; filters live in the URL so a filtered view can be shared. */
export function RunsPage({ params }: { params: URLSearchParams }) {
  const filters = readFilters(params);
  const result = useRuns(toApiFilters(filters));
  const setFilters = (next: RunsPageFilters) => navigate(hrefs.runs(writeFilters(next)), { replace: true });
  const filtered = hasAnyFilter(filters);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [repairing, setRepairing] = useState(false);
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    setSelected(next);
    setAllMatching(false);
  };
  const shownIds = (result.runs ?? []).map((run) => run.id);
  const toggleAll = () => setSelected(shownIds.every((id) => selected.has(id)) ? new Set() : new Set(shownIds));

  return (
    <div className="page">
      <div className="page-header">
        <h1>Runs</h1>
        <a className="button primary" href={hrefs.trigger()}>
          Trigger a run
        </a>
      </div>
      <StatusChips counts={result.counts} estimated={result.estimatedCounts} atLeast={result.countsAtLeast} selected={filters.status} onChange={(status) => setFilters({ ...filters, status })} />
      <RunFiltersBar key={params.toString()} filters={filters} onChange={setFilters} />
      {filters.task && !repairing && (
        <button type="button" className="button" data-testid="repair-open" onClick={() => setRepairing(true)}>
          Repair failed runs…
        </button>
      )}
      {filters.task && repairing && <RepairPanel key={filters.task} taskId={filters.task} onClose={() => setRepairing(false)} />}
      {/* Outside the table: runs an action changes leave a filtered list while it is under way. */}
      {(selected.size > 0 || allMatching) && (
        <BulkActionBar
          filter={bulkFilterOf(toApiFilters(filters))}
          selected={[...selected]}
          allMatching={allMatching}
          onDone={() => {
            setSelected(new Set());
            setAllMatching(false);
          }}
        />
      )}

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
            {selected.size > 0 && !allMatching && (
              <button type="button" className="button-link small" data-testid="select-all-matching" onClick={() => setAllMatching(true)}>
                Select all runs matching the filters
              </button>
            )}
            <RunsTable runs={result.runs} testId="runs-table" selection={{ selected, toggle, toggleAll }} />
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
