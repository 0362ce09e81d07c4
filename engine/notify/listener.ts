import pg from "pg";
import type { Logger } from "../logger.ts";

type Handler = (payload: string) => void;

/**
 * `run`: runs changed (`<runId>:<revision>`, several joined by commas, see db/sql/notify.ts);
 * `wake`: new work is ready; `cancel`: a run was canceled (`<runId>`).
 */
export function channelsOf(schema: string) {
  return { run: `${schema}_run`, wake: `${schema}_wake`, cancel: `${schema}_cancel` };
}

export type Channels = ReturnType<typeof channelsOf>;

/** The runs a notification on the run channel names. */
export function changedRuns(payload: string): string[] {
  return payload.split(",").map((change) => change.slice(0, change.lastIndexOf(":")));
}

/** Whether a notification on the run channel names this run. */
export function mentionsRun(payload: string, runId: string): boolean {
  return payload.startsWith(runId + ":") || payload.includes("," + runId + ":");
}

/**
 * One LISTEN connection per engine process, fanned out to in-process subscribers. It reconnects
 * on its own after a Postgres restart and tells subscribers, who may have missed notifications.
 */
export class Listener {
  readonly #url: string;
  readonly #logger: Logger;
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #reconnectHandlers = new Set<() => void>();
  #client: pg.Client | undefined;
  #stopped = false;
  #listening: Promise<unknown> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(url: string, logger: Logger) {
    this.#url = url;
    this.#logger = logger;
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

  onReconnect(handler: () => void): () => void {
    this.#reconnectHandlers.add(handler);
    return () => this.#reconnectHandlers.delete(handler);
  }

  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
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
    for (const channel of this.#handlers.keys()) await client.query(`LISTEN "${channel}"`);
    this.#client = client;
  }

  /** One LISTEN after another: node-postgres deprecates a query sent while one is in flight. */
  #listen(client: pg.Client, channel: string): void {
    this.#listening = this.#listening.then(() => client.query(`LISTEN "${channel}"`)).catch(() => undefined);
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
          this.#logger.info("notification connection restored");
          for (const handler of this.#reconnectHandlers) handler();
        },
        () => this.#retry(Math.min(delayMs * 2, 5_000)),
      );
    }, delayMs);
  }
}
