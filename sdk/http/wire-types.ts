import type { OnTheWire } from "../../wire/index.ts";
import type { EventRecord, Run, RunStatuses, ScheduleRecord } from "../types.ts";

/**
 * The HTTP API sends dates as ISO strings and leaves undefined values out (docs/http-api.md);
 * these give them back as the `Date`s and fields the direct backend returns.
 */
const date = (value: string) => new Date(value);
const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));

export type WireRun = OnTheWire<Run>;

const waitFromWire = (wait: WireRun["wait"]): Run["wait"] => wait && { ...wait, timeoutAt: dateOrNull(wait.timeoutAt) };

export function runFromWire(run: WireRun): Run {
  return {
    ...run,
    payload: run.payload,
    output: run.output,
    createdAt: date(run.createdAt),
    startedAt: dateOrNull(run.startedAt),
    finishedAt: dateOrNull(run.finishedAt),
    updatedAt: date(run.updatedAt),
    scheduledFor: dateOrNull(run.scheduledFor),
    wait: waitFromWire(run.wait),
  };
}

export type WireStatuses = OnTheWire<RunStatuses>;

export function statusesFromWire(wire: WireStatuses): RunStatuses {
  return {
    run: { ...wire.run, output: wire.run.output, wait: waitFromWire(wire.run.wait) },
    statuses: wire.statuses.map((s) => ({
      ...s,
      data: s.data,
      updatedAt: date(s.updatedAt),
      history: s.history.map((h) => ({ ...h, data: h.data, at: date(h.at) })),
    })),
  };
}

export type WireEvent = OnTheWire<EventRecord> & { runs: WireRun[] };

export function eventFromWire(wire: WireEvent): EventRecord & { runs: Run[] } {
  return { ...wire, payload: wire.payload, createdAt: date(wire.createdAt), runs: wire.runs.map(runFromWire) };
}

export type WireSchedule = OnTheWire<ScheduleRecord>;

export function scheduleFromWire(wire: WireSchedule): ScheduleRecord {
  return {
    ...wire, payload: wire.payload, createdAt: date(wire.createdAt), updatedAt: date(wire.updatedAt),
    nextRun: wire.nextRun === null ? null : date(wire.nextRun), lastRun: wire.lastRun === null ? null : date(wire.lastRun),
  };
}
