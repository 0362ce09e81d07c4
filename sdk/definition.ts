import type { z } from "zod";
import type { RunScope } from "./context.ts";
import type { LifecycleHooks } from "./hooks.ts";
import type { QueueLimits } from "./queue.ts";
import type { ResolvedRetry } from "./retry.ts";
import { InvalidPayloadError } from "./errors.ts";

export type PayloadSchema = z.ZodType;

/** What the engine needs to execute a task or a job; built by `task()` and `client.defineJob()`. */
export interface Definition {
  kind: "task" | "job";
  id: string;
  version: string;
  name: string;
  eventName: string | null;
  schema: PayloadSchema | undefined;
  /** Run-level retry for errors thrown outside `io.runTask`; null means a thrown error fails the run. */
  retry: ResolvedRetry | null;
  execute(payload: unknown, scope: RunScope): Promise<unknown>;
  /** The queue's concurrency and rate limits (per concurrency key), across workers. */
  queue?: QueueLimits;
  /** The task's `onStart`, `onSuccess`, `onFailure` and `onCancel`. */
  hooks?: LifecycleHooks;
  /** The task's `maxDuration` in ms; a trigger's own overrides it. */
  maxDurationMs?: number;
  /** The task's `retention` in ms; the engine's applies without it. */
  retentionMs?: number;
  /** The task's `retention.keepStatusHistory` in ms; the engine's applies without it. */
  keepHistoryMs?: number;
  /** Fires a run on this cron expression for as long as an engine runs this task. */
  schedule?: { cron: string; timezone: string };
}

const registry = new Map<string, Definition>();

/** Every task and job defined in this process, so `durably start` can find them by import alone. */
export function registerDefinition(definition: Definition): void {
  registry.set(`${definition.id}@${definition.version}`, definition);
}

export function registeredDefinitions(): Definition[] {
  return [...registry.values()];
}

export function validatePayload(schema: PayloadSchema | undefined, payload: unknown, what: string): unknown {
  if (!schema) return payload;
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  throw new InvalidPayloadError(`Invalid payload for ${what}: ${detail}`, result.error.issues, { cause: result.error });
}
