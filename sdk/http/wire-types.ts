import type { EventRecord, Run, RunStatuses, ScheduleRecord } from "../types.ts";

/**
 * The HTTP API sends dates as ISO strings (docs/http-api.md); these give them back as the `Date`s
 * the direct backend returns. Payloads and outputs travel as JSON either way.
 */
type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

const date = (value: string) => new Date(value);
const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));

export function runFromWire(run: Wire<Run>): Run {
  return {
    ...run,
    createdAt: date(run.createdAt),
    startedAt: dateOrNull(run.startedAt),
    finishedAt: dateOrNull(run.finishedAt),
    updatedAt: date(run.updatedAt),
    scheduledFor: dateOrNull(run.scheduledFor),
  };
}

export type WireRun = Wire<Run>;

export interface WireStatuses {
  run: RunStatuses["run"];
  statuses: (Wire<Omit<RunStatuses["statuses"][number], "history">> & { history: Wire<RunStatuses["statuses"][number]["history"][number]>[] })[];
}

export function statusesFromWire(wire: WireStatuses): RunStatuses {
  return {
    run: wire.run,
    statuses: wire.statuses.map((s) => ({ ...s, updatedAt: date(s.updatedAt), history: s.history.map((h) => ({ ...h, at: date(h.at) })) })),
  };
}

export type WireEvent = Wire<EventRecord> & { runs: WireRun[] };

export function eventFromWire(wire: WireEvent): EventRecord & { runs: Run[] } {
  return { ...wire, createdAt: date(wire.createdAt), runs: wire.runs.map(runFromWire) };
}

export type WireSchedule = Wire<ScheduleRecord>;

export function scheduleFromWire(wire: WireSchedule): ScheduleRecord {
  return { ...wire, createdAt: date(wire.createdAt), updatedAt: date(wire.updatedAt) };
}
