import { DurablyError, RunNotFoundError } from "../../sdk/errors.ts";
import type { Run } from "../../sdk/types.ts";
import { fromJsonJournalRow, type JsonJournalRow } from "../db/rows.ts";
import type { CommittedEntries } from "./committed-entries.ts";
import { runAfter } from "./journal-push.ts";
import { changedRuns, type Listener } from "./listener.ts";
import { RunQueue } from "./run-queue.ts";

export interface RunFeedsDeps {
  listener: () => Promise<Listener>;
  channel: string;
  /** The runs among `ids` as they are now, only those carrying `tag` when one is given. */
  readRuns: (ids: string[], tag: string | null) => Promise<Run[]>;
  /** The newest runs carrying `tag`. */
  tagged: (tag: string, limit: number) => Promise<Run[]>;
  /** The runs of a batch; undefined when there is no such batch. */
  batchRunIds: (batchId: string) => Promise<string[] | undefined>;
  /** Entries this process's writes commit, from which a run's subscribers here get it without a read. */
  committed?: CommittedEntries | undefined;
}

export class BatchNotFoundError extends DurablyError {
  constructor(batchId: string) {
    super("BATCH_NOT_FOUND", `No batch with id "${batchId}"`);
  }
}

/** Where a subscription to a tag starts: its newest runs, as `GET /api/runs?tag=` pages them. */
export const TAGGED_RUNS_LIMIT = 1_000;
/** A read that fails (the database restarting, a connection terminated) is tried again for this long. */
const READ_RETRY_MS = 30_000;

/**
 * Reads on behalf of every subscriber of one key (a run, a tag), one at a time: a change read
 * while a read is under way is read once more after it, so subscribers never miss the last state,
 * and a thousand subscribers of one run cost one read per change, not a thousand.
 */
class Reader {
  #dirty = false;
  #reading = false;
  #failingSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Promise<void>,
    private readonly fail: (error: unknown) => void,
  ) {}

  kick = (): void => {
    this.#dirty = true;
    if (!this.#reading && !this.#timer) void this.#run();
  };

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = false;
  }

  async #run(): Promise<void> {
    this.#reading = true;
    while (this.#dirty) {
      this.#dirty = false;
      try {
        await this.read();
        this.#failingSince = undefined;
      } catch (error) {
        if (error instanceof DurablyError && error.code === "RUN_NOT_FOUND") {
          this.#reading = false;
          return this.fail(error);
        }
        this.#failingSince ??= Date.now();
        if (Date.now() - this.#failingSince > READ_RETRY_MS) {
          this.#reading = false;
          return this.fail(error);
        }
        this.#dirty = true;
        this.#reading = false;
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          if (this.#dirty) void this.#run();
        }, 200);
        return;
      }
    }
    this.#reading = false;
  }
}

/**
 * One run's subscribers, fed by one reader routed by run id (`Listener.onRun`), and by the
 * changes this process commits to the run (`deps.committed`): the run as of such a change is
 * built from the run as of the revision before it, when the hub has that one, and read otherwise.
 */
class RunHub {
  readonly queues = new Set<RunQueue>();
  readonly reader: Reader;
  /** The revision last read or handed over: a notification of it or an older one starts no read. */
  #revision = 0;
  /** The run as of `#revision`, when the hub has it. */
  #run: Run | undefined;
  #offs: (() => void)[] = [];

  constructor(
    private readonly runId: string,
    private readonly deps: RunFeedsDeps,
  ) {
    this.reader = new Reader(() => this.#read(), (error) => {
      for (const queue of this.queues) queue.fail(error);
    });
  }

  async start(listener: Listener): Promise<void> {
    const { committed } = this.deps;
    this.#offs = [
      listener.onRun(this.deps.channel, this.runId, (change) => {
        const look = () => {
          if (!(change.revision <= this.#revision)) this.reader.kick();
        };
        // Most often the notification of a write of this process, handed over once it returns.
        if (committed) committed.afterWrites(this.runId, look);
        else look();
      }),
      // Notifications sent while the connection was down are lost: read again once it is back.
      listener.onReconnect(this.reader.kick),
      ...(committed ? [committed.subscribe(this.runId, (row) => this.#handed(row))] : []),
    ];
    await listener.listening();
  }

  stop(): void {
    for (const off of this.#offs) off();
    this.reader.stop();
  }

  #handed(row: JsonJournalRow): void {
    const revision = Number(row.revision);
    if (revision <= this.#revision) return;
    if (this.#run?.revision !== revision - 1) return this.reader.kick();
    const run = (this.#run = runAfter(this.#run, fromJsonJournalRow(row)));
    this.#revision = revision;
    for (const queue of this.queues) queue.push(run);
  }

  async #read(): Promise<void> {
    const [run] = await this.deps.readRuns([this.runId], null);
    if (!run) throw new RunNotFoundError(this.runId);
    if (run.revision >= this.#revision) {
      this.#revision = run.revision;
      this.#run = run;
    }
    for (const queue of this.queues) queue.push(run);
  }
}

/** One tag's subscribers: every run change is looked at, and those runs carrying the tag are read together. */
class TagHub {
  readonly queues = new Set<RunQueue>();
  readonly reader: Reader;
  #changed = new Set<string>();
  #offs: (() => void)[] = [];

  constructor(
    private readonly tag: string,
    private readonly deps: RunFeedsDeps,
  ) {
    this.reader = new Reader(() => this.#read(), (error) => {
      for (const queue of this.queues) queue.fail(error);
    });
  }

  async start(listener: Listener): Promise<void> {
    this.#offs = [
      listener.on(this.deps.channel, (payload) => {
        for (const id of changedRuns(payload)) this.#changed.add(id);
        this.reader.kick();
      }),
      listener.onReconnect(() => {
        for (const queue of this.queues) void this.catchUp(queue);
      }),
    ];
    await listener.listening();
  }

  stop(): void {
    for (const off of this.#offs) off();
    this.reader.stop();
  }

  /** The tag's newest runs, of which the subscriber is given those it does not have yet. */
  async catchUp(queue: RunQueue): Promise<void> {
    const runs = await this.deps.tagged(this.tag, TAGGED_RUNS_LIMIT).catch((error: unknown) => {
      queue.fail(error);
      return [];
    });
    for (const run of runs.reverse()) queue.push(run);
  }

  async #read(): Promise<void> {
    // Taken before the read: a run that changes again while it is under way is read once more after it.
    const ids = [...this.#changed];
    this.#changed.clear();
    if (ids.length === 0) return;
    let runs: Run[];
    try {
      runs = await this.deps.readRuns(ids, this.tag);
    } catch (error) {
      // Tried again with them.
      for (const id of ids) this.#changed.add(id);
      throw error;
    }
    for (const run of runs) for (const queue of this.queues) queue.push(run);
  }
}

/**
 * Backend subscriptions (`runs.subscribeToRun`, `subscribeToRunsWithTag`, `subscribeToBatch`) and
 * the SSE routes that serve them over HTTP: async iterators of run snapshots, each newer than the
 * last one its subscriber got. Subscribers of one run or one tag share one reader.
 */
export class RunFeeds {
  readonly #runs = new Map<string, RunHub>();
  readonly #tags = new Map<string, TagHub>();

  constructor(private readonly deps: RunFeedsDeps) {}

  /** Snapshots of the run as it changes, from the current one; ends after the one that finished it. */
  run(runId: string): AsyncIterableIterator<Run> {
    const queue: RunQueue = new RunQueue(() => this.#leave(this.#runs, runId, queue));
    const push = queue.push.bind(queue);
    queue.push = (run: Run) => {
      push(run);
      if (run.isCompleted) queue.end();
    };
    void this.#join(queue, [runId]);
    return queue;
  }

  /** Snapshots of every run of the batch as it changes; ends once all of them have finished. */
  batch(batchId: string): AsyncIterableIterator<Run> {
    let ids: string[] = [];
    const finished = new Set<string>();
    const queue = new RunQueue(() => {
      for (const id of ids) this.#leave(this.#runs, id, queue);
    });
    const push = queue.push.bind(queue);
    queue.push = (run: Run) => {
      push(run);
      if (run.isCompleted) finished.add(run.id);
      if (finished.size === ids.length) queue.end();
    };
    void (async () => {
      const found = await this.deps.batchRunIds(batchId).catch((error: unknown) => queue.fail(error));
      if (queue.closed) return;
      if (!found) return queue.fail(new BatchNotFoundError(batchId));
      ids = found;
      if (ids.length === 0) return queue.end();
      await this.#join(queue, ids);
    })();
    return queue;
  }

  /** Snapshots of the runs carrying `tag`: its newest runs first, then every change; never ends by itself. */
  tag(tag: string): AsyncIterableIterator<Run> {
    const queue: RunQueue = new RunQueue(() => this.#leave(this.#tags, tag, queue));
    void (async () => {
      try {
        let hub = this.#tags.get(tag);
        if (!hub) {
          hub = new TagHub(tag, this.deps);
          this.#tags.set(tag, hub);
          await hub.start(await this.deps.listener());
        }
        if (queue.closed) return;
        hub.queues.add(queue);
        await hub.catchUp(queue);
      } catch (error) {
        queue.fail(error);
      }
    })();
    return queue;
  }

  async #join(queue: RunQueue, runIds: string[]): Promise<void> {
    try {
      const listener = await this.deps.listener();
      for (const runId of runIds) {
        if (queue.closed) return;
        let hub = this.#runs.get(runId);
        if (!hub) {
          hub = new RunHub(runId, this.deps);
          this.#runs.set(runId, hub);
          hub.queues.add(queue);
          await hub.start(listener);
        } else {
          hub.queues.add(queue);
        }
        // The snapshot the subscriber starts from: read after it listens, so no change falls between.
        hub.reader.kick();
      }
    } catch (error) {
      queue.fail(error);
    }
  }

  #leave<H extends RunHub | TagHub>(hubs: Map<string, H>, key: string, queue: RunQueue): void {
    const hub = hubs.get(key);
    if (!hub) return;
    hub.queues.delete(queue);
    if (hub.queues.size > 0) return;
    hubs.delete(key);
    hub.stop();
  }
}
