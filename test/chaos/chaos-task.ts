import pg from "pg";
import { task, wait } from "durably";

export const CHAOS_TASK_ID = "chaos-steps";

export interface ChaosPayload {
  steps: number;
  /** Each step sleeps between these many milliseconds. */
  stepMs: [number, number];
}

/** Odd steps write through the journal's transaction (exactly-once); even ones through their own pool (at-least-once). */
export function isTransactionalStep(step: number): boolean {
  return step % 2 === 1;
}

/**
 * Each run waits once on a waitpoint token of its own, before this step (a transactional one, so
 * a run resumed twice would show as a duplicate); the controller completes the tokens at random
 * moments while it kills workers.
 */
export function waitsBefore(steps: number): number {
  return Math.min(steps - 1, 2 * Math.floor(steps / 4) + 1);
}

/** The output the controller completes each token with, so the check can match what each run saw. */
export const tokenOutput = (tokenId: string) => ({ completedFor: tokenId });

/** Step failures here are infrastructure (a Postgres restart under the insert): retry soon and often. */
const STEP_RETRY = { maxAttempts: 20, minTimeoutInMs: 100, maxTimeoutInMs: 2_000 };

export function sideTableDdl(table: string): string {
  return `CREATE TABLE ${table} (
    id bigserial PRIMARY KEY, run_id text NOT NULL, step int NOT NULL, tx boolean NOT NULL,
    worker text NOT NULL, attempt int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`;
}

/**
 * The chaos workload: `steps` steps, each sleeping a few ms and appending a row keyed by
 * (run, step) to a side table. Each step returns its row's id, so the check can match the
 * journal against the side table.
 */
export function chaosTask(databaseUrl: string, sideTable: string, worker: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, application_name: "chaos-side" });
  pool.on("error", () => undefined);
  const insert = `INSERT INTO ${sideTable} (run_id, step, tx, worker, attempt) VALUES ($1, $2, $3, $4, $5) RETURNING id`;
  const chaos = task({
    id: CHAOS_TASK_ID,
    retry: { maxAttempts: 20, minTimeoutInMs: 100, maxTimeoutInMs: 2_000 },
    run: async (payload: ChaosPayload, { io, ctx }) => {
      const ids: string[] = [];
      for (let step = 0; step < payload.steps; step++) {
        if (step === waitsBefore(payload.steps)) {
          const token = await wait.createToken({ tags: ["chaos"] });
          const result = await wait.forToken<{ completedFor: string }>(token);
          if (result.unwrap().completedFor !== token.id) throw new Error(`run ${ctx.run.id} resumed with another token's output`);
        }
        const transaction = isTransactionalStep(step);
        const id = await io.runTask(
          `step-${step}`,
          async ({ tx, attempt }) => {
            const [min, max] = payload.stepMs;
            await new Promise((resolve) => setTimeout(resolve, min + Math.floor(Math.random() * (max - min + 1))));
            const { rows } = await (tx ?? pool).query<{ id: string }>(insert, [ctx.run.id, step, transaction, worker, attempt]);
            return String(rows[0]!.id);
          },
          { transaction, retry: STEP_RETRY },
        );
        ids.push(id);
      }
      return ids;
    },
  });
  return { chaos, close: () => pool.end() };
}
