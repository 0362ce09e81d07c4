import { useDurably, WAITPOINT_STATUSES, type WaitpointsPage as Page } from "durably/react";
import { EmptyState } from "../components/EmptyState.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { Loading } from "../components/Loading.tsx";
import { Tags } from "../components/Tags.tsx";
import { formatDateTime } from "../lib/format.ts";
import { hrefs, navigate } from "../lib/router.ts";
import { useEngineInfiniteQuery } from "../lib/use-engine-query.ts";

/** Every waitpoint token, newest first, by status and tag; the filters live in the URL. */
export function WaitpointsPage({ params }: { params: URLSearchParams }) {
  const { api, keys } = useDurably();
  const status = params.get("status") ?? "";
  const tag = params.get("tag") ?? "";
  const result = useEngineInfiniteQuery({
    queryKey: [...keys.root, "waitpoints", "list", status, tag],
    queryFn: ({ pageParam, signal }) => api.listWaitTokens({ status, tags: tag, cursor: pageParam }, { signal }),
    getNextPageParam: (last: Page) => last.nextCursor,
  });
  const setFilter = (key: "status" | "tag", value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    navigate(hrefs.waitpoints(next), { replace: true });
  };
  const tokens = result.data?.pages.flatMap((page) => page.data) ?? [];

  return (
    <div className="page">
      <div className="page-header">
        <h1>Waitpoints</h1>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          <span>Status</span>
          <select value={status} onChange={(e) => setFilter("status", e.target.value)} data-testid="waitpoints-status">
            <option value="">any</option>
            {WAITPOINT_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label className="field">
          <span>Tag</span>
          <input defaultValue={tag} key={tag} onBlur={(e) => setFilter("tag", e.target.value.trim())} data-testid="waitpoints-tag" />
        </label>
      </form>
      {result.loading && <Loading label="Loading waitpoints…" />}
      {result.error && <ErrorState title="Could not load waitpoints" error={result.error} />}
      {result.data && tokens.length === 0 && <EmptyState title="No waitpoint tokens match" />}
      {tokens.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="waitpoints-table">
            <thead>
              <tr><th>Id</th><th>Status</th><th>Tags</th><th>Runs</th><th>Created</th><th>Timeout</th></tr>
            </thead>
            <tbody>
              {tokens.map((token) => (
                <tr key={token.id} data-testid={`waitpoint-row-${token.id}`}>
                  <td className="mono">{token.id}</td>
                  <td>{token.status}</td>
                  <td><Tags tags={token.tags} /></td>
                  <td>
                    {token.runs.map((runId) => (
                      <a key={runId} className="mono" href={hrefs.run(runId)}>{runId} </a>
                    ))}
                  </td>
                  <td>{formatDateTime(token.createdAt)}</td>
                  <td>{token.timeoutAt ? formatDateTime(token.timeoutAt) : "none"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {result.hasNextPage && (
        <div className="list-footer">
          <button type="button" className="button" onClick={result.fetchNextPage} disabled={result.isFetchingNextPage}>
            {result.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </div>
  );
}
