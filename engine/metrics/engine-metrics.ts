import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RunStatus } from "../../sdk/types.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import type { PurgeProgress } from "../retention/purge-runs.ts";

/** Seconds: from a cached lookup (1 ms) to a slow API call or a long computation. */
const STEP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export type StepOutcome = "completed" | "failed";

/**
 * One engine's Prometheus metrics, in a registry of its own so two engines in one process keep
 * theirs apart. Events are counted in memory where the engine already knows them; queue depth
 * and age are read with one query when scraped.
 */
export class EngineMetrics {
  readonly #registry = new Registry();
  readonly #started: Counter<"task">;
  readonly #finished: Counter<"task" | "status">;
  readonly #steps: Histogram<"task" | "outcome">;
  readonly #journalWrites: Counter;
  readonly #purged: Counter;
  readonly #purgedRows: Counter<"table">;
  readonly #purgeBatchSeconds: Gauge;
  readonly #purgeBacklog: Gauge;
  /** What the retention loop reports as it purges. */
  readonly purge: PurgeProgress;
  readonly #queueDepth: Gauge<"queue">;
  readonly #queueAge: Gauge<"queue">;
  /** Open SSE streams: `inc` when one opens, `dec` when it ends. */
  readonly sseSubscribers: Gauge;

  constructor(private readonly db: Database, private readonly sql: Statements) {
    const registers = [this.#registry];
    this.#started = new Counter({ name: "durably_runs_started_total", help: "Runs whose first execution started in this process", labelNames: ["task"], registers });
    this.#finished = new Counter({
      name: "durably_runs_finished_total", help: "Runs that ended in this process, by final status", labelNames: ["task", "status"], registers,
    });
    this.#steps = new Histogram({
      name: "durably_step_duration_seconds", help: "Time an attempt of an io.runTask step's code took", labelNames: ["task", "outcome"],
      buckets: STEP_BUCKETS, registers,
    });
    this.#journalWrites = new Counter({ name: "durably_journal_writes_total", help: "Journal entries committed by this process", registers });
    this.#purged = new Counter({ name: "durably_runs_purged_total", help: "Runs the retention loop of this process purged, with every row they owned", registers });
    this.#purgedRows = new Counter({
      name: "durably_purge_rows_deleted_total", help: "Rows the retention loop of this process deleted, by table", labelNames: ["table"], registers,
    });
    this.#purgeBatchSeconds = new Gauge({ name: "durably_purge_last_batch_seconds", help: "How long the retention loop's last batch took", registers });
    this.#purgeBacklog = new Gauge({
      name: "durably_purge_backlog_runs",
      help: "Estimate: due runs without a parent when the retention pass started, less the trees purged since; 0 once a pass went through", registers,
    });
    let backlog = 0;
    this.purge = {
      passStarted: (roots) => this.#purgeBacklog.set((backlog = roots)),
      batchDone: ({ roots, rows, seconds }) => {
        this.#purged.inc(rows.runs ?? 0);
        for (const [table, count] of Object.entries(rows)) if (count) this.#purgedRows.inc({ table }, count);
        this.#purgeBatchSeconds.set(seconds);
        this.#purgeBacklog.set((backlog = Math.max(0, backlog - roots)));
      },
      passDone: () => this.#purgeBacklog.set((backlog = 0)),
    };
    this.#queueDepth = new Gauge({ name: "durably_queue_depth", help: "QUEUED runs whose start time has come, by queue", labelNames: ["queue"], registers });
    this.#queueAge = new Gauge({
      name: "durably_queue_oldest_age_seconds", help: "Age of the oldest QUEUED run whose start time has come, by queue", labelNames: ["queue"], registers,
    });
    this.sseSubscribers = new Gauge({ name: "durably_sse_subscribers", help: "SSE streams open on this process's HTTP API", registers });
  }

  runStarted(task: string): void {
    this.#started.inc({ task });
  }

  runFinished(task: string, status: RunStatus): void {
    this.#finished.inc({ task, status });
  }

  /** Where one run's step attempts are timed: the label lookup happens once per execution. */
  stepTimer(task: string): (seconds: number, outcome: StepOutcome) => void {
    const completed = this.#steps.labels({ task, outcome: "completed" });
    const failed = this.#steps.labels({ task, outcome: "failed" });
    return (seconds, outcome) => (outcome === "completed" ? completed : failed).observe(seconds);
  }

  journalWritten(): void {
    this.#journalWrites.inc();
  }

  /** The text exposition, with the queues read now. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    const { rows } = await this.db.query<{ queue: string; depth: number; oldest_age_seconds: number }>(this.sql.metrics.queues, []);
    // A queue that drained leaves the series rather than reporting its last depth.
    this.#queueDepth.reset();
    this.#queueAge.reset();
    for (const row of rows) {
      this.#queueDepth.set({ queue: row.queue }, row.depth);
      this.#queueAge.set({ queue: row.queue }, Math.max(0, row.oldest_age_seconds));
    }
    return { body: await this.#registry.metrics(), contentType: this.#registry.contentType };
  }
}
