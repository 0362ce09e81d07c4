import { RUN_STATUSES, type RunFilters, type RunStatus } from "durably/react";
import { localInputToIso } from "../../lib/format.ts";

/** The runs page filters as the URL (`#/runs?status=…`) and the form hold them. */
export interface RunsPageFilters {
  status: RunStatus[];
  task: string;
  tag: string;
  /** `datetime-local` values, in the browser's time zone. */
  from: string;
  to: string;
  metadataKey: string;
  metadataValue: string;
}

export const PAGE_SIZE = 25;

const isRunStatus = (value: string): value is RunStatus => (RUN_STATUSES as readonly string[]).includes(value);

export function readFilters(params: URLSearchParams): RunsPageFilters {
  return {
    status: (params.get("status") ?? "").split(",").filter(isRunStatus),
    task: params.get("task") ?? "",
    tag: params.get("tag") ?? "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
    metadataKey: params.get("mkey") ?? "",
    metadataValue: params.get("mval") ?? "",
  };
}

export function writeFilters(filters: RunsPageFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.status.length > 0) params.set("status", filters.status.join(","));
  const text: [string, string][] = [
    ["task", filters.task],
    ["tag", filters.tag],
    ["from", filters.from],
    ["to", filters.to],
    ["mkey", filters.metadataKey],
    ["mval", filters.metadataValue],
  ];
  for (const [name, value] of text) if (value.trim()) params.set(name, value.trim());
  return params;
}

export function toApiFilters(filters: RunsPageFilters): RunFilters {
  return {
    status: filters.status,
    taskIdentifier: filters.task,
    tag: filters.tag,
    from: localInputToIso(filters.from),
    to: localInputToIso(filters.to),
    metadataKey: filters.metadataKey,
    metadataValue: filters.metadataKey ? filters.metadataValue : undefined,
    limit: PAGE_SIZE,
  };
}

export function hasAnyFilter(filters: RunsPageFilters): boolean {
  return writeFilters(filters).size > 0;
}

export const NO_FILTERS: RunsPageFilters = {
  status: [],
  task: "",
  tag: "",
  from: "",
  to: "",
  metadataKey: "",
  metadataValue: "",
};
