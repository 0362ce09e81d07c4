import { randomUUID } from "node:crypto";
import pg from "pg";
import { DurablyError } from "../../sdk/errors.ts";
import { listenStatements as sql } from "../db/sql/listen.ts";
import type { Logger } from "../logger.ts";

type Handler = (payload: string) => void;

/** One run's change in a notification on the run channel. */
export interface RunChange {
  runId: string;
  revision: number;
  /** The change finished the run (SUCCESS, FAILURE, CANCELED): its result can be read. */
  finished: boolean;
  /**
   * On the stream channel, the stream that changed; undefined when the notification names the
   * run only (its keys would have passed the 8000-byte cap): any stream of the run may have.
   */
  streamKey?: string;
}

type RunHandler = (change: RunChange) => void;

/** How long the start-up probe waits for its notification; a real session has it within milliseconds. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * `run`: runs changed (`<runId>:<revision>`, `:end` added for a run that finished, several joined
 * by commas, see db/sql/notify.ts);
 * `wake`: new work is ready; `cancel`: a run was canceled (`<runId>`);
 * `logs`: runs got log lines (`<runId>:0`, several joined by commas);
 * `stream`: a run's stream changed (`<runId>:<lastIndex>/<key>`, or `<runId>:<lastIndex>` for any
 * of its streams, see db/sql/streams.ts), apart from the run channel so that a run's followers do
 * not read the run again for every append;
 * `bulk`: a bulk action progressed or completed (`<bulkActionId>`, see db/sql/bulk.ts).
 */
export function channelsOf(schema: string) {
  return {
    run: `${schema}_run`, wake: `${schema}_wake`, cancel: `${schema}_cancel`, logs: `${schema}_logs`, stream: `${schema}_stream`, bulk: `${schema}_bulk`,
  };
}

export type Channels = ReturnType<typeof channelsOf>;

/**
 * The changes a notification on the run or stream channel names. Run ids hold no ':' or '/'
 * (engine/ids.ts), stream keys no '/' or ',' (sdk/stream-key.ts).
 */
export function runChanges(payload: string): RunChange[] {
  return payload.split(",").map((change) => {
    const slash = change.indexOf("/");
    const [runId = "", revision, end] = (slash < 0 ? change : change.slice(0, slash)).split(":");
    const parsed: RunChange = { runId, revision: Number(revision), finished: end === "end" };
    if (slash >= 0) parsed.streamKey = change.slice(slash + 1);
    return parsed;
  });
}

/** A notification on the run channel naming runs that changed and have not finished, as Postgres writes them. */
export function runChangesPayload(changes: Omit<RunChange, "finished">[]): string {
  return changes.map((change) => `${change.runId}:${change.revision}`).join(",");
}

/** The runs a notification on the run channel names. */
export function changedRuns(payload: string): string[] {
  return runChanges(payload).map((change) => change.runId);
}

/** Whether a notification on the run channel names this run. */
export function mentionsRun(payload: string, runId: string): boolean {
  return payload.startsWith(runId + ":") || payload.includes("," + runId + ":");
}

/**
 * One LISTEN connection per engine process, fanned out to in-process subscribers. It reconnects
 * on its own after a Postgres restart and tells subscribers, who may have missed notifications.
 * Its URL must reach PostgreSQL directly (or through a pooler in session mode): `start` proves it.
 */
export class Listener {
  readonly #url: string;
  readonly #logger: Logger;
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #reconnectHandlers = new Set<() => void>();
  /** Per run channel, the handlers of each run (`onRun`). */
  readonly #runHandlers = new Map<string, Map<string, Set<RunHandler>>>();
  #client: pg.Client | undefined;
  #stopped = false;
  #listening: Promise<unknown> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #holdsProcess: boolean;

  /**
   * `holdsProcess: false` (a configured backend): the connection alone does not keep Node running,
   * so a script that triggered and polled exits when it is done. A waiting poll keeps its own timer.
   */
  constructor(url: string, logger: Logger, options: { holdsProcess?: boolean } = {}) {
    this.#url = url;
    this.#logger = logger;
    this.#holdsProcess = options.holdsProcess ?? true;
  }

  on(channel: string, handler: Handler): () => void {
    let set = this.#handlers.get(channel);
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
      if (this.#client) this.#listen(this.#client, channel);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /**
   * Calls `handler` with each change of one run on the run channel `channel`. One handler routes
   * the channel's notifications by run id, so a notification costs the same with 10 or 10,000
   * waiting callers; a handler per caller that looked at every notification made waiting cost
   * callers × changes.
   */
  onRun(channel: string, runId: string, handler: RunHandler): () => void {
    const routes = this.#routesOf(channel);
    const handlers = routes.get(runId) ?? new Set<RunHandler>();
    routes.set(runId, handlers);
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && routes.get(runId) === handlers) routes.delete(runId);
    };
  }

  #routesOf(channel: string): Map<string, Set<RunHandler>> {
    let routes = this.#runHandlers.get(channel);
    if (!routes) {
      const byRun = new Map<string, Set<RunHandler>>();
      this.on(channel, (payload) => {
        if (byRun.size === 0) return;
        for (const change of runChanges(payload)) for (const handler of byRun.get(change.runId) ?? []) handler(change);
      });
      this.#runHandlers.set(channel, (routes = byRun));
    }
    return routes;
  }

  /** Resolves once every channel asked for so far is listened on (a LISTEN is sent in the background). */
  listening(): Promise<void> {
    return this.#listening.then(() => undefined);
  }

  onReconnect(handler: () => void): () => void {
    this.#reconnectHandlers.add(handler);
    return () => this.#reconnectHandlers.delete(handler);
  }

  /** Connects, and fails unless a notification sent from another connection reaches this one. */
  async start(): Promise<void> {
    await this.#connect();
    try {
      await this.#probe(this.#client!);
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#letProcessExit();
  }

  /** Only once set up: until then its own queries are all that keeps Node awake. */
  #letProcessExit(): void {
    if (!this.#holdsProcess && this.#client) socketOf(this.#client).unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    // Its goodbye is awaited: the process must not end half-way through it.
    if (client && !this.#holdsProcess) socketOf(client).ref();
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url, application_name: "durably-listener", keepAlive: true });
    client.on("notification", (n) => {
      for (const handler of this.#handlers.get(n.channel) ?? []) handler(n.payload ?? "");
    });
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client, new Error("connection ended")));
    await client.connect();
    for (const channel of this.#handlers.keys()) await client.query(sql.listen(channel));
    this.#client = client;
  }

  /**
   * Behind a pooler in transaction mode (PgBouncer, Supabase, Neon) LISTEN succeeds and binds
   * nothing: the server connection that ran it goes back to the pool, and a notification it gets
   * later is dropped or handed to whichever client holds it then. Nothing ever fails; workers just
   * never wake and live views never move. So the start proves delivery with one NOTIFY on a random
   * channel, sent from a second connection: asking the server cannot tell (a pooler answers SQL as
   * PostgreSQL does), and a NOTIFY sent on this same connection can come back to it whenever the
   * pooler happens to run it on the server connection that listens.
   */
  async #probe(client: pg.Client): Promise<void> {
    const channel = `durably_probe_${randomUUID().replaceAll("-", "")}`;
    const token = randomUUID();
    await client.query(sql.listen(channel));
    let onNotification: ((n: pg.Notification) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<boolean>((resolve) => {
      onNotification = (n) => n.channel === channel && n.payload === token && resolve(true);
      client.on("notification", onNotification);
      timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
    });
    let delivered: boolean;
    const sender = new pg.Client({ connectionString: this.#url, application_name: "durably-probe" });
    try {
      await sender.connect();
      await sender.query(sql.notify, [channel, token]);
      delivered = await heard;
    } finally {
      clearTimeout(timer);
      client.off("notification", onNotification!);
      await sender.end().catch(() => undefined);
    }
    if (!delivered) {
      throw new DurablyError(
        "LISTEN_NOT_DELIVERED",
        `Notifications sent to PostgreSQL${hostOf(this.#url)} do not reach the connection that listens: it looks like a ` +
          "connection pooler in transaction mode (PgBouncer, Supabase, Neon), where LISTEN does not work, and workers would " +
          "never wake. Set DATABASE_DIRECT_URL (or directUrl) to a direct connection to PostgreSQL for LISTEN and " +
          "migrations; DATABASE_URL can stay on the pooler",
      );
    }
    await client.query(sql.unlisten(channel));
  }

  /** One LISTEN after another: node-postgres deprecates a query sent while one is in flight. */
  #listen(client: pg.Client, channel: string): void {
    this.#listening = this.#listening.then(() => client.query(sql.listen(channel))).catch(() => undefined);
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = undefined;
    this.#logger.warn("notification connection lost, reconnecting", { error: error.message });
    client.end().catch(() => undefined);
    this.#retry(100);
  }

  #retry(delayMs: number): void {
    this.#retryTimer = setTimeout(() => {
      if (this.#stopped) return;
      this.#connect().then(
        () => {
          this.#letProcessExit();
          this.#logger.info("notification connection restored");
          for (const handler of this.#reconnectHandlers) handler();
        },
        () => this.#retry(Math.min(delayMs * 2, 5_000)),
      );
    }, delayMs);
    if (!this.#holdsProcess) this.#retryTimer.unref();
  }
}

/** " at host:port" for a message, without the user or password; nothing for a socket path. */
function hostOf(url: string): string {
  try {
    const host = new URL(url).host;
    return host ? ` at ${host}` : "";
  } catch {
    return "";
  }
}

/** node-postgres has no ref/unref of its own on a Client; its socket is the one handle it holds. */
function socketOf(client: pg.Client): { ref(): void; unref(): void } {
  return (client as unknown as { connection: { stream: { ref(): void; unref(): void } } }).connection.stream;
}
