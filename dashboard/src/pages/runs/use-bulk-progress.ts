import { useEffect, useState } from "react";
import { useDurably, type BulkAction, type EventSourceLike } from "durably/react";

/** After a dropped stream (the engine restarting), the wait before opening it again. */
const RECONNECT_MS = 1000;

/**
 * A bulk action's progress as the engine pushes it (`GET /api/bulk-actions/:id/stream`: the
 * action now, then each time it progresses), until it has completed; nothing is polled. A
 * dropped stream is opened again and starts with the action as it is then. Once it completes,
 * every query is read again: the runs it acted on have changed.
 */
export function useBulkProgress(started: BulkAction | null): BulkAction | null {
  const { api, queryClient, createEventSource } = useDurably();
  const [action, setAction] = useState(started);
  const id = started?.id;

  useEffect(() => {
    setAction(started);
    if (!started || started.status === "COMPLETED") return;
    let source: EventSourceLike | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const open = () => {
      const url = `${api.baseUrl}/api/bulk-actions/${encodeURIComponent(started.id)}/stream`;
      source = createEventSource ? createEventSource(url) : new EventSource(url);
      source.addEventListener("bulk", (event) => {
        const pushed = JSON.parse(event.data) as BulkAction;
        setAction(pushed);
        if (pushed.status !== "COMPLETED") return;
        finished = true;
        source?.close();
        void queryClient.invalidateQueries();
      });
      source.onerror = () => {
        source?.close();
        if (!finished) timer = setTimeout(open, RECONNECT_MS);
      };
    };
    open();
    return () => {
      finished = true;
      clearTimeout(timer);
      source?.close();
    };
    // A new action (its id) is followed afresh; the same one keeps its stream.
  }, [id, api, queryClient, createEventSource]);

  return action;
}
