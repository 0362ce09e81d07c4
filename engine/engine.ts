import { hasDefaultBackend, setDefaultBackend } from "../sdk/backend.ts";
import { uniqueDefinitions, type Definable } from "../sdk/definable.ts";
import type { Definition } from "../sdk/definition.ts";
import { DurablyError } from "../sdk/errors.ts";
import type { LifecycleHooks } from "../sdk/hooks.ts";
import type { CommittedEnd } from "./notify/committed-ends.ts";
import { registeredDefinitions } from "../sdk/definition.ts";
import { Database } from "./db/database.ts";
import { buildStatements } from "./db/sql/index.ts";
import { rethrowUnreachable, unreachable } from "./db/unreachable.ts";
import { createLogger, type Logger } from "./logger.ts";
import { migrateAt } from "./migrate.ts";
import { HeldRuns } from "./notify/held-runs.ts";
import { Committed } from "./notify/committed.ts";
import type { JsonJournalRow } from "./db/rows.ts";
import { channelsOf, Listener } from "./notify/listener.ts";
import { resolveOptions, type EngineOptionsInput, type ResolvedOptions } from "./options.ts";
import { Scheduler } from "./jobs/pg-boss.ts";
import { Service } from "./runs-api.ts";
import { Dispatcher, JOBS_DUE } from "./worker/dispatcher.ts";
import { ReadyRuns } from "./worker/ready-runs.ts";
import { BatchedWrites } from "./journal/batched-writes.ts";
import { RunAnnouncements } from "./orchestration/announce-runs.ts";
import { LogWriter } from "./journal/log-writer.ts";
import { captureConsole } from "./worker/console-capture.ts";
import type { Execution } from "./journal/execution.ts";
import { startHttpServer, type HttpServer } from "./http/server.ts";
import { exposeInternals } from "./internal.ts";
import type { EngineParts } from "./parts.ts";
import { RetentionLoop } from "./retention/retention-loop.ts";
import { StreamWriter } from "./streams/stream-writer.ts";
import type { CommittedChunksBatch } from "./streams/committed-chunks.ts";
import { EngineMetrics } from "./metrics/engine-metrics.ts";
import { loadOtelApi } from "../sdk/tracing/otel-api.ts";
import { Alerts } from "./alerts/alerts.ts";

export interface EngineOptions extends EngineOptionsInput {
  /** Tasks (from `task()`) to run; default: every task and job defined in this process. */
  tasks?: Definable[] | undefined;
  /** Clients whose jobs to run; default: every job defined in this process. */
  clients?: Definable[] | undefined;
  /** Lifecycle hooks for every run this engine executes, called before each task's own; `task` names the run's task. */
  hooks?: LifecycleHooks | undefined;
}


export class Engine {
  readonly options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #definitions: Definition[];
  readonly #hooks: LifecycleHooks;
  #parts: EngineParts | undefined;
  #scheduler: Scheduler | undefined;
  #dispatcher: Dispatcher | undefined;
  #http: HttpServer | undefined;
  #releaseConsole: (() => void) | undefined;
  #bulkSweep: NodeJS.Timeout | undefined;
  #alerts: Alerts | undefined;
  #retention: RetentionLoop | undefined;
  #logs: LogWriter | undefined;

  constructor(options: EngineOptions) {
    const { tasks, clients, hooks, ...rest } = options;
    this.#hooks = hooks ?? {};
    this.options = resolveOptions(rest);
    this.#logger = createLogger(this.options.logLevel, { component: "durably" });
    this.#definitions = tasks || clients ? uniqueDefinitions([...(tasks ?? []), ...(clients ?? [])]) : registeredDefinitions();
    exposeInternals(this, { parts: () => this.#require(), definitions: this.#definitions });
  }

  /** Where the HTTP API and dashboard listen, once started with `http`. */
  get url(): string | undefined {
    return this.#http?.url;
  }

  async start(): Promise<void> {
    const o = this.options;
    if (o.http && !o.secretKey && !o.devMode) {
      throw new DurablyError("NO_SECRET_KEY", "The HTTP API needs a secret key: set DURABLY_SECRET_KEY (or secretKey), or devMode for local use only");
    }
    // First, before anything is written: behind a pooler without a direct URL this fails, saying so.
    const listener = new Listener(o.directUrl, this.#logger);
    await loadOtelApi();
    await listener.start().catch(rethrowUnreachable(o.directUrl));
    const db = new Database(o.databaseUrl, o.poolSize, this.#logger, { namedStatements: !o.pooled });
    const sql = buildStatements(o.schema);
    const channels = channelsOf(o.schema);
    // Supervision (runs of dead workers back to the queue) belongs to workers: with no worker
    // running there is nothing to hand a run to, and with only workers running it must still happen.
    const scheduler = new Scheduler(
      { databaseUrl: o.databaseUrl, schema: o.schema, heartbeatSeconds: o.heartbeatSeconds, recoverySeconds: o.recoverySeconds, supervise: o.worker },
      this.#logger,
    );
    try {
      await migrateAt(o.directUrl, o.schema);
      await scheduler.start();
    } catch (error) {
      await Promise.all([scheduler.stop().catch(() => undefined), listener.stop(), db.end()]);
      throw unreachable(error, o.databaseUrl) ?? error;
    }
    const entries = new Committed<JsonJournalRow>();
    const committedChunks = new Committed<CommittedChunksBatch>();
    const ends = new Committed<CommittedEnd>();
    const held = new HeldRuns(ends);
    const announcements = new RunAnnouncements(db, sql, channels);
    const service = new Service({
      db, sql, scheduler, channels, maxMetadataBytes: o.maxMetadataBytes, maxPayloadBytes: o.maxPayloadBytes,
      secretKey: o.secretKey, schema: o.schema, listener: () => Promise.resolve(listener), committedChunks, committedEntries: entries, committedEnds: ends, heldRuns: held, announcements, keepHistoryMs: o.retention.keepHistoryMs,
      publicUrl: () => o.publicUrl ?? this.url,
      localStarts: {
        taskIds: new Set(this.#definitions.map((d) => d.id)),
        reserve: (count) => this.#dispatcher?.reserve(count) ?? 0,
        started: (reserved, rows, othersReady) => {
          this.#dispatcher?.startReserved(reserved, rows);
          if (othersReady) this.#dispatcher?.kick();
        },
      },
      logger: this.#logger, staleAfterSeconds: o.heartbeatSeconds * 3,
    });
    for (const d of this.#definitions) {
      await db.query(sql.events.registerTask, [d.id, d.version, d.kind, d.eventName, d.queue?.name ?? null, d.queue?.concurrencyLimit ?? null,
        d.queue?.rateLimit?.limit ?? null, d.queue?.rateLimit?.periodMs ?? null, d.retentionMs ?? null, d.keepHistoryMs ?? null]);
    }
    for (const d of this.#definitions) {
      if (d.schedule) await service.schedules.create({ task: d.id, ...d.schedule, deduplicationKey: `task:${d.id}` }, true);
    }

    this.#scheduler = scheduler;
    const metrics = new EngineMetrics(db, sql);
    this.#parts = { options: o, db, sql, service, listener, entries, logger: this.#logger, channels, metrics };
    if (!hasDefaultBackend()) setDefaultBackend(service);
    // Bulk actions whose process died are taken over by any engine.
    const sweep = () => void service.bulk.resumeAbandoned().catch((error: Error) => this.#logger.warn("bulk action sweep failed", { error: error.message }));
    this.#bulkSweep = setInterval(sweep, o.recoverySeconds * 1000);
    sweep();
    // Bound before the worker takes any run: a port in use fails the start with nothing run.
    if (o.http) this.#http = await startHttpServer(this.#parts, this.#definitions);
    if (o.worker) {
      const alerts = o.alerts.length > 0 ? new Alerts(db, sql, scheduler, o.alerts, this.#logger, o.recoverySeconds) : undefined;
      const running = new Map<string, Execution>();
      const dispatcher = new Dispatcher(
        scheduler,
        new ReadyRuns(db, sql, channels),
        {
          db, sql, scheduler, notifyChannel: channels.run, wakeChannel: channels.wake, logger: this.#logger,
          writes: new BatchedWrites(db, sql, channels.run, entries, metrics, ends, (runId) => announcements.notified(runId)),
          logs: (this.#logs = new LogWriter(db, sql, channels.logs, this.#logger)),
          maxMetadataBytes: o.maxMetadataBytes, maxPayloadBytes: o.maxPayloadBytes,
          running,
          held,
          findDefinition: (id, version) => this.#find(id, version),
          hooks: this.#hooks,
          metrics,
          ...(alerts ? { alerts } : {}),
          wakeAt: (date) => dispatcher.wakeAt(date),
          streams: { writer: new StreamWriter(db, sql, channels.stream, o.streams.maxStreamBytes, committedChunks), maxChunkBytes: o.streams.maxChunkBytes },
        },
        {
          concurrency: o.concurrency, pollIntervalMs: o.pollIntervalMs, heartbeatSeconds: o.heartbeatSeconds,
          recoverySeconds: o.recoverySeconds, shutdownTimeoutMs: o.shutdownTimeoutMs,
        },
        this.#logger,
      );
      listener.on(channels.wake, (payload) => dispatcher.kick(payload === JOBS_DUE));
      listener.on(channels.cancel, (runId) => running.get(runId)?.cancel());
      listener.onReconnect(() => dispatcher.kick());
      if (o.captureConsole) this.#releaseConsole = captureConsole();
      dispatcher.start();
      this.#dispatcher = dispatcher;
      this.#retention = new RetentionLoop({ db, sql }, o.schema, o.retention, this.#logger, metrics.purge);
      const retentions = [o.retention.runsMs, o.retention.keepHistoryMs, ...this.#definitions.flatMap((d) => [d.retentionMs, d.keepHistoryMs])]
        .filter((ms) => ms !== undefined);
      this.#retention.start(retentions.length > 0 ? Math.min(...retentions) : undefined);
      await service.schedules.work(scheduler.boss, this.#logger);
      if (alerts) {
        await alerts.work(scheduler.boss);
        await alerts.startSweeping(o.recoverySeconds * 1000);
        this.#alerts = alerts;
      }
    }
  }

  /** Stops taking work, drains in-flight runs (bounded by `shutdownTimeoutMs`), then closes. */
  async stop(): Promise<void> {
    const parts = this.#parts;
    if (!parts) return;
    this.#parts = undefined;
    await this.#http?.close();
    this.#http = undefined;
    clearInterval(this.#bulkSweep);
    await this.#alerts?.stopSweeping();
    this.#alerts = undefined;
    await this.#retention?.stop();
    this.#retention = undefined;
    await parts.service.bulk.stop();
    await this.#dispatcher?.stop();
    this.#releaseConsole?.();
    this.#releaseConsole = undefined;
    // Lines of runs that suspended are still on their way to the pool closed below.
    await this.#logs?.drain();
    this.#logs = undefined;
    await this.#scheduler?.stop();
    await parts.listener.stop();
    await parts.db.end();
    setDefaultBackend(undefined);
  }

  #find(id: string, version: string): Definition | undefined {
    const sameId = this.#definitions.filter((d) => d.id === id);
    return sameId.find((d) => d.version === version) ?? sameId.at(-1);
  }

  #require(): EngineParts {
    if (!this.#parts) throw new Error("The engine is not started: call engine.start() first");
    return this.#parts;
  }
}

export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
