/**
 * A hash router small enough to read at a glance: `#/runs`, `#/runs/:id`, `#/trigger`,
 * `#/events/:id`, each with an optional `?query`. The hash keeps the engine's static file
 * serving trivial (every page is `/`).
 */
import { useSyncExternalStore } from "react";

export type Route =
  | { page: "runs"; params: URLSearchParams }
  | { page: "run"; runId: string; params: URLSearchParams }
  | { page: "trigger"; params: URLSearchParams }
  | { page: "event"; eventId: string; params: URLSearchParams }
  | { page: "waitpoints"; params: URLSearchParams }
  | { page: "tasks"; params: URLSearchParams }
  | { page: "schedules"; params: URLSearchParams }
  | { page: "search"; params: URLSearchParams }
  | { page: "not-found"; path: string; params: URLSearchParams };

const NAVIGATE_EVENT = "durably:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener("hashchange", onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

const readHash = () => window.location.hash;

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/runs";
  const [pathPart = "/", query = ""] = raw.split("?", 2);
  const params = new URLSearchParams(query);
  const segments = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second] = segments;
  if (segments.length === 0 || (first === "runs" && segments.length === 1)) return { page: "runs", params };
  if (first === "runs" && second && segments.length === 2) return { page: "run", runId: second, params };
  if (first === "trigger" && segments.length === 1) return { page: "trigger", params };
  if (first === "events" && second && segments.length === 2) return { page: "event", eventId: second, params };
  if (first === "waitpoints" && segments.length === 1) return { page: "waitpoints", params };
  if ((first === "tasks" || first === "schedules" || first === "search") && segments.length === 1) return { page: first, params };
  return { page: "not-found", path: pathPart, params };
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, readHash, () => "");
  return parseRoute(hash);
}

/** Goes to a hash route; `replace` rewrites the current history entry (used for filter edits). */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) {
    window.history.replaceState(window.history.state, "", href);
    window.dispatchEvent(new Event(NAVIGATE_EVENT));
  } else {
    window.location.hash = href.replace(/^#/, "");
  }
}

export const hrefs = {
  runs: (params?: URLSearchParams) => {
    const query = params?.toString();
    return `#/runs${query ? `?${query}` : ""}`;
  },
  run: (runId: string) => `#/runs/${encodeURIComponent(runId)}`,
  trigger: (taskId?: string) => (taskId ? `#/trigger?task=${encodeURIComponent(taskId)}` : "#/trigger"),
  event: (eventId: string) => `#/events/${encodeURIComponent(eventId)}`,
  tasks: () => "#/tasks",
  schedules: () => "#/schedules",
  search: (q: string) => `#/search?q=${encodeURIComponent(q)}`,
  waitpoints: (params?: URLSearchParams) => {
    const query = params?.toString();
    return `#/waitpoints${query ? `?${query}` : ""}`;
  },
};
