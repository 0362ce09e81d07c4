import { getBackend, getRunBackend, type TriggerRequest } from "./backend.ts";
import { currentScope, type RunScope } from "./context.ts";
import type { ChildRunResult, JournalKind, TriggerOptions } from "./types.ts";

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

/**
 * What `batchTriggerAndWait` gives back, as Trigger.dev v4's `BatchResult`: the batch's id
 * (`runs.subscribeToBatch`, `useRealtimeBatch`) and each child's result, in item order. `id` is ""
 * only for a batch a run made before these batches had ids (replayed from its journal).
 */
export interface BatchAndWaitResult<TOutput = unknown> {
  id: string;
  runs: ChildRunResult<TOutput>[];
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
  /** Inside a run: starts one child per item as a batch and waits for all of them. */
  batchAndWait(scope: RunScope, items: BatchItem<TPayload>[]): Promise<BatchAndWaitResult>;
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
   * A run's `batchTrigger` and `batchTriggerAndWait` make a batch like one from backend code, its
   * id keyed by the call's place in the run and journaled with its runs: a replay returns both.
   * An entry journaled before batches made in runs had ids holds the run ids alone.
   */
  const batchOfRun = async (
    scope: RunScope, kind: "batchTrigger" | "batchTriggerAndWait", items: BatchItem<TPayload>[],
  ): Promise<{ batchId: string | undefined; ids: string[] }> => {
    const recorded = await scope.journaled<{ batchId: string; ids: string[] } | string[]>(kind, taskId, async (seq) => {
      const backend = await getRunBackend();
      const { batchId, runs } = await backend.triggerBatch(keyedChildren(scope, kind, items, kind === "batchTriggerAndWait", seq), {
        idempotencyKey: `${scope.ctx.run.id}:${seq}`,
      });
      return { batchId, ids: runs.map(({ id }) => id) };
    });
    return Array.isArray(recorded) ? { batchId: undefined, ids: recorded } : recorded;
  };

  return {
    children,
    async batchAndWait(scope, items) {
      const { batchId, ids } = await batchOfRun(scope, "batchTriggerAndWait", items);
      return { id: batchId ?? "", runs: await scope.awaitRuns(taskId, ids) };
    },
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
      if (scope) {
        const { batchId, ids } = await batchOfRun(scope, "batchTrigger", items);
        return { ...(batchId !== undefined ? { batchId } : {}), runs: ids.map((id) => ({ id })) };
      }
      const { batchId, runs } = await (await getBackend()).triggerBatch(items.map((item) => request(item.payload, item.options)));
      return { batchId, runs: runs.map(({ id }) => ({ id })) };
    },
  };
}
