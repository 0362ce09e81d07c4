import { afterAll, describe, expect, it } from "vitest";
import { encode } from "../engine/serialize.ts";
import { partsOf } from "../engine/internal.ts";
import { dropSchemas, insertExecutingRun, sql as query, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";

const schema = uniqueSchema("heartbeat_writes");
afterAll(() => dropSchemas(schema));

describe("a run that writes its journal", () => {
  it("counts as alive: a write refreshes its heartbeat, so the lapse pass leaves a run the heartbeat skipped while it wrote", async () => {
    const engine = await startTestEngine("heartbeat_writes", { schema, worker: false });
    const { db, sql, channels } = partsOf(engine);
    const run = await insertExecutingRun(schema, "run_heartbeat_writes");
    // Every heartbeat found the row locked by a write, and skipped it.
    await query(`UPDATE "${schema}".runs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [run.id]);

    const written = await db.query(sql.journal.writeOne, [
      run.id, run.lease, 1, "task", "one", "completed", JSON.stringify(encode(1, "output")), null, 1, new Date(), null, channels.run, false, null,
    ]);
    expect(written.rowCount).toBe(1);
    const lapsed = await db.query(sql.runs.readyLapsed, [60, channels.run, channels.wake]);
    expect(lapsed.rowCount).toBe(0);
    const [row] = await query<{ status: string; lease: string; fresh: boolean }>(
      `SELECT status, lease, heartbeat_at > now() - interval '1 minute' AS fresh FROM "${schema}".runs WHERE id = $1`, [run.id],
    );
    expect(row).toEqual({ status: "EXECUTING", lease: run.lease, fresh: true });
    await engine.stop();
  });
});
