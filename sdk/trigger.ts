import { getBackend, getRunBackend, type TriggerRequest } from "./backend.ts";
import { currentScope, type RunScope } from "./context.ts";
import type { JournalKind, TriggerOptions } from "./types.ts";

export interface BatchItem<TPayload> {
  payload: TPayload;
  options?: TriggerOptions | undefined;
}

/** The runs `batchTrigger` started; `batchId` follows them with `runs.subscribeToBatch`. */
export interface BatchHandle<THandle = { id: string }> {
  /** Absent only for a batch a run triggered before batches made in runs had ids (replayed from its journal). */
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
  const keyedChildren = (scope: RunScope, kind: JournalKind, items: BatchItem<TPayload>[], resumeParent: boolean, seq: number) => {
    const parentRunId = scope.ctx.run.id;
    return items.map((item, i) => {
      const r = request(item.payload, item.options);
      return {
        ...r, parentRunId, resumeParent,
        options: { ...r.options, idempotencyKey: r.options?.idempotencyKey ?? (kind === "trigger" ? `${parentRunId}:${seq}` : `${parentRunId}:${seq}:${i}`) },
      };
    });
  };
  const children = (scope: RunScope, kind: JournalKind, items: BatchItem<TPayload>[], resumeParent: boolean) =>
    scope.journaled(kind, taskId, async (seq) => {
      const backend = await getRunBackend();
      return (await backend.batchTrigger(keyedChildren(scope, kind, items, resumeParent, seq))).map(({ id }) => id);
    });
  /**
   * A run's `batchTrigger` is a batch like one from backend code, its id keyed by the call's
   * place in the run and journaled with its runs: a replay returns both. An entry journaled
   * before batches made in runs had ids holds the run ids alone.
   */
  const batchOfRun = async (scope: RunScope, items: BatchItem<TPayload>[]): Promise<BatchHandle> => {
    const recorded = await scope.journaled<{ batchId: string; ids: string[] } | string[]>("batchTrigger", taskId, async (seq) => {
      const backend = await getRunBackend();
      const { batchId, runs } = await backend.triggerBatch(keyedChildren(scope, "batchTrigger", items, false, seq), {
        idempotencyKey: `${scope.ctx.run.id}:${seq}`,
      });
      return { batchId, ids: runs.map(({ id }) => id) };
    });
    if (Array.isArray(recorded)) return { runs: recorded.map((id) => ({ id })) };
    return { batchId: recorded.batchId, runs: recorded.ids.map((id) => ({ id })) };
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
      if (scope) return batchOfRun(scope, items);
      const { batchId, runs } = await (await getBackend()).triggerBatch(items.map((item) => request(item.payload, item.options)));
      return { batchId, runs: runs.map(({ id }) => ({ id })) };
    },
  };
}
