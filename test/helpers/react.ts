import type { EventSourceLike } from "../../react/client/sse-reader.ts";
import type { JournalEntry, Run } from "../../react/types.ts";

/** Stands in for the browser's EventSource, so a test decides when each event arrives. */
export class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  closed = false;
  constructor(public url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(t: string, l: (e: MessageEvent<string>) => void) {
    this.listeners.set(t, [...(this.listeners.get(t) ?? []), l]);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: unknown, id = "") {
    for (const l of this.listeners.get(type) ?? []) l({ data: JSON.stringify(data), lastEventId: id } as MessageEvent<string>);
  }
}

export function makeRun(overrides: Partial<Run> = {}): Run {
  return {
    id: "run_1",
    status: "EXECUTING",
    taskIdentifier: "meme-generator",
    taskVersion: "0.1.1",
    eventId: null,
    payload: {},
    output: null,
    error: null,
    metadata: {},
    tags: [],
    attempts: 1,
    idempotencyKey: null,
    parentRunId: null,
    createdAt: "2025-01-01T00:00:00.000Z",
    startedAt: "2025-01-01T00:00:01.000Z",
    finishedAt: null,
    updatedAt: "2025-01-01T00:00:01.000Z",
    isCompleted: false,
    isSuccess: false,
    isFailed: false,
    isQueued: false,
    isExecuting: true,
    isWaiting: false,
    isCancelled: false,
    revision: 5,
    forkedFrom: null,
    scheduledFor: null,
    maxDuration: null,
    priority: 0,
    wait: null,
    ...overrides,
  };
}

export function makeEntry(overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    seq: 1,
    kind: "status",
    key: "generating-memes",
    output: null,
    error: null,
    status: "completed",
    attempts: 1,
    startedAt: "2025-01-01T00:00:02.000Z",
    finishedAt: "2025-01-01T00:00:02.000Z",
    revision: 6,
    timeoutMs: null,
    ...overrides,
  };
}
