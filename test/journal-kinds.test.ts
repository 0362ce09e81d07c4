import { describe, expect, it } from "vitest";
import { Client, eventTrigger, metadata, runs, task, wait } from "durably";
import { JOURNAL_KINDS } from "durably/react";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";
import { serviceOf } from "../engine/internal.ts";

const child = task({ id: "kinds-child", run: async (p: { n: number }) => p.n });
const client = new Client({ id: "kinds" });
client.defineJob({
  id: "kinds-job",
  name: "Kinds job",
  version: "1",
  trigger: eventTrigger({ name: "kinds.event" }),
  run: async () => "heard",
});
/** Makes every io call a run can make, then waits on a token until the test cancels it. */
const everyKind = task({
  id: "every-kind",
  // A lifecycle hook's call is journaled as a `hook` marker.
  onStart: () => undefined,
  run: async (_: Record<string, never>, { io }) => {
    await io.runTask("step", async () => 1);
    await io.wait("pause", 0.01);
    await io.createStatus("progress", { label: "Working" });
    await metadata.set("k", 1);
    await metadata.parent.set("k", 1);
    await io.now();
    await io.random();
    await io.patched("change");
    await child.trigger({ n: 1 });
    await child.batchTrigger([{ payload: { n: 2 } }]);
    await child.triggerAndWait({ n: 3 });
    await child.batchTriggerAndWait([{ payload: { n: 4 } }]);
    await client.sendEvent({ name: "kinds.event", payload: {} });
    const token = await wait.createToken();
    await wait.forToken(token.id);
  },
});

describe("journal kinds", () => {
  it("every kind the engine writes is one durably/react knows, and each one it knows is written", async () => {
    const engine = await startTestEngine("kinds", { tasks: [child, everyKind], clients: [client] });
    const { id } = await everyKind.trigger({});
    // The token's creation is journaled before the run waits on it.
    await until(async () => ((await runs.retrieve(id)).status === "WAITING" && (await serviceOf(engine).getJournal(id)).some((e) => e.key === "createToken") ? true : undefined), 30_000);
    await runs.cancel(id);

    const written = await sql<{ kind: string }>(`SELECT DISTINCT kind FROM "${engine.options.schema}".journal ORDER BY kind`);
    expect(written.map((r) => r.kind)).toEqual([...JOURNAL_KINDS].sort());
  });
});
