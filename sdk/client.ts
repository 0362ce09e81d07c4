import type { z } from "zod";
import { connectBackend, getBackend, type Backend } from "./backend.ts";
import { currentScope, type IO, type RunContext } from "./context.ts";
import { DEFINITIONS, type Definable } from "./definable.ts";
import { registerDefinition, validatePayload, type Definition, type PayloadSchema } from "./definition.ts";
import type { RunStatuses, Run } from "./types.ts";
import type { LifecycleHooks } from "./hooks.ts";

export interface EventTrigger<TPayload> {
  readonly name: string;
  readonly schema: PayloadSchema | undefined;
  /** Phantom field carrying the payload type to `run`. */
  readonly __payload?: TPayload;
}

/** Starts a job when an event of this name is sent; `schema` (zod) checks the payload. */
export function eventTrigger<TSchema extends z.ZodType | undefined = undefined>(options: {
  name: string;
  schema?: TSchema | undefined;
}): EventTrigger<TSchema extends z.ZodType ? z.output<TSchema> : any> {
  return { name: options.name, schema: options.schema };
}

/** A v2 job's options; its lifecycle hooks are a task's (`onStart`, `onSuccess`, `onFailure`, `onCancel`). */
export interface JobOptions<TPayload, TOutput> extends LifecycleHooks<TPayload, TOutput> {
  id: string;
  name: string;
  version: string;
  trigger: EventTrigger<TPayload>;
  run: (payload: TPayload, io: IO, ctx: RunContext) => Promise<TOutput>;
}

export interface Job {
  readonly id: string;
  readonly version: string;
}

export interface ClientOptions {
  id: string;
  databaseUrl?: string | undefined;
  schema?: string | undefined;
}

/** A v2-style client: `new Client({ id })`, `client.defineJob(...)`, `client.sendEvent(...)`. */
export class Client implements Definable {
  readonly id: string;
  readonly #jobs: Definition[] = [];
  readonly #options: ClientOptions;
  #backend: Promise<Backend> | undefined;

  constructor(options: ClientOptions) {
    this.id = options.id;
    this.#options = options;
  }

  get [DEFINITIONS](): () => Definition[] {
    return () => [...this.#jobs];
  }

  defineJob<TPayload, TOutput>(options: JobOptions<TPayload, TOutput>): Job {
    const definition: Definition = {
      kind: "job",
      id: options.id,
      version: options.version,
      name: options.name,
      eventName: options.trigger.name,
      schema: options.trigger.schema,
      retry: null,
      // async: a payload refused here fails the run, rather than throwing before it has a promise to fail.
      execute: async (payload, scope) =>
        options.run(validatePayload(options.trigger.schema, payload, `job "${options.id}"`) as TPayload, scope.io, scope.ctx),
      // Widened: the engine calls them with this job's own payload and output, as they are typed.
      hooks: { onStart: options.onStart, onSuccess: options.onSuccess, onFailure: options.onFailure, onCancel: options.onCancel } as LifecycleHooks,
    };
    this.#jobs.push(definition);
    registerDefinition(definition);
    return { id: options.id, version: options.version };
  }

  /** Starts one run per job listening for `name`; returns the event id. */
  async sendEvent(event: { name: string; payload?: unknown; id?: string | undefined }): Promise<{ id: string }> {
    for (const job of this.#jobs) {
      if (job.eventName === event.name) validatePayload(job.schema, event.payload, `job "${job.id}"`);
    }
    const backend = await this.#getBackend();
    const scope = currentScope();
    const send = (id?: string) => backend.sendEvent({ name: event.name, payload: event.payload ?? {}, ...(id ? { id } : {}) });
    if (!scope) return { id: (await send(event.id)).id };
    const runId = scope.ctx.run.id;
    return scope.journaled("sendEvent", event.name, async (seq) => ({ id: (await send(event.id ?? `${runId}:${seq}`)).id }));
  }

  async getRun(runId: string): Promise<Run> {
    return (await this.#getBackend()).retrieveRun(runId);
  }

  async getRunStatuses(runId: string): Promise<RunStatuses> {
    return (await this.#getBackend()).getRunStatuses(runId);
  }

  async getEventRuns(eventId: string): Promise<Run[]> {
    return (await (await this.#getBackend()).getEvent(eventId)).runs;
  }

  #getBackend(): Promise<Backend> {
    if (!this.#options.databaseUrl) return getBackend();
    if (!this.#backend) {
      const attempt = connectBackend({ databaseUrl: this.#options.databaseUrl, ...(this.#options.schema ? { schema: this.#options.schema } : {}) });
      // As `getBackend`: a failed connect is not kept, the next call tries again.
      attempt.catch(() => this.#backend === attempt && (this.#backend = undefined));
      this.#backend = attempt;
    }
    return this.#backend;
  }
}
