/**
 * Named fault points at commit boundaries, for tests only (DBOS's `debugTriggerPoint`): every
 * journal commit of an execution passes `before-commit:<write>` and `after-commit:<write>`. With
 * no handler set (always, outside tests) the recorder is returned untouched and nothing runs.
 * A handler that throws makes that commit fail as a database failure would: before it, nothing
 * landed; after it, the commit landed but the execution never learned so.
 */
export type FaultPoint = `${"before" | "after"}-commit:${string}`;
export type FaultHandler = (point: FaultPoint, runId: string) => void | Promise<void>;

const WRITES: ReadonlySet<PropertyKey> = new Set(["write", "writeAndHandOff", "writeInTransaction", "writeAncestorMetadata", "suspend", "awaitRuns", "awaitToken", "release"]);

let handler: FaultHandler | undefined;

export function setFaultHandler(next: FaultHandler | undefined): void {
  handler = next;
}

export function withFaultPoints<T extends object>(recorder: T, runId: string): T {
  const active = handler;
  if (!active) return recorder;
  return new Proxy(recorder, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (!WRITES.has(property)) return value.bind(target);
      return async (...args: unknown[]) => {
        await active(`before-commit:${String(property)}`, runId);
        const result: unknown = await value.apply(target, args);
        await active(`after-commit:${String(property)}`, runId);
        return result;
      };
    },
  });
}

/** A fault point outside an execution's recorder (a bulk action's commit of one run). */
export async function atFaultPoint(point: FaultPoint, id: string): Promise<void> {
  await handler?.(point, id);
}
