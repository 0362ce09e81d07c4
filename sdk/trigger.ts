import { getBackend, getRunBackend, type TriggerRequest } from "./backend.ts";
import { currentScope, type RunScope } from "./context.ts";
import type { JournalKind, TriggerOptions } from "./types.ts";

export interface BatchItem<TPayload> {
  payload: TPayload;
  options?: TriggerOptions | undefined;
}

/** The runs `batchTrigger` started; `batchId` (from backend code; not inside a run) follows them with `runs.subscribeToBatch`. */
export interface BatchHandle<THandle = { id: string }> {
  batchId?: string;
  runs: THandle[];
}

/** A started run; the phantom types let `runs.retrieve(handle)` and `runs.poll(handle)` type its payload and output. */
export interface RunHandle<TPayload = unknown, TOutput = unknown> {
  id: string;
  readonly __types?: { payload: TPayload; output: TOutput };
}

/** How runs of one task are started: from backend code, or from inside a run as its journaled children. */
export interface Triggers<TPayload> {
  trigger(payload: TPayload, options: TriggerOptions | undefined): Promise<{ id: string }>;
  batchTrigger(items: BatchItem<TPayload>[]): Promise<BatchHandle>;
  /** Inside a run: starts one child per item, journaled; `resumeParent` wakes the parent when they finish. */
  children(scope: RunScope, kind: JournalKind, items: BatchItem<TPayload>[], resumeParent: boolean): Promise<string[]>;
}

/** `request` turns a payload into what the backend inserts (validated and versioned, for a task whose code is here). */
export function triggersFor<TPayload>(taskId: string, request: (payload: TPayload, options: TriggerOptions | undefined) => TriggerRequest): Triggers<TPayload> {
  /**
   * From inside a run, triggers are journaled and keyed by the call's position, so a replayed
   * parent gets the same children back instead of starting new ones.
   */
  const children = (scope: RunScope, kind: JournalKind, items: BatchItem<TPayload>[], resumeParent: boolean) => {
    const requests = items.map((item) => request(item.payload, item.options));
    const parentRunId = scope.ctx.run.id;
    return scope.journaled(kind, taskId, async (seq) => {
      const backend = await getRunBackend();
      const keyed = requests.map((r, i) => ({
        ...r, parentRunId, resumeParent,
        options: { ...r.options, idempotencyKey: r.options?.idempotencyKey ?? (kind === "trigger" ? `${parentRunId}:${seq}` : `${parentRunId}:${seq}:${i}`) },
      }));
      return (await backend.batchTrigger(keyed)).map(({ id }) => id);
    });
  };

  return {
    children,
    async trigger(payload, options) {
      const scope = currentScope();
      if (!scope) {
        const { id } = await (await getBackend()).trigger(request(payload, options));
        return { id };
      }
      const [id] = await children(scope, "trigger", [{ payload, ...(options ? { options } : {}) }], false);
      return { id: id! };
    },
    async batchTrigger(items) {
      const scope = currentScope();
      if (scope) return { runs: (await children(scope, "batchTrigger", items, false)).map((id) => ({ id })) };
      const { batchId, runs } = await (await getBackend()).triggerBatch(items.map((item) => request(item.payload, item.options)));
      return { batchId, runs: runs.map(({ id }) => ({ id })) };
    },
  };
}
