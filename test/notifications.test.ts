import { describe, expect, it } from "vitest";
import { task } from "durably";
import { changedRuns } from "../engine/notify/listener.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";
import { partsOf } from "../engine/internal.ts";

describe("run-change notifications", () => {
  it("name every run a batched statement changed, a hundred runs per notification", async () => {
    const idle = task({ id: "notified", run: async () => null });
    const engine = await startTestEngine("notify_batch", { tasks: [idle], worker: false });
    const { listener, channels } = partsOf(engine);
    const payloads: string[] = [];
    const off = listener.on(channels.run, (payload) => payloads.push(payload));
    try {
      const { runs } = await idle.batchTrigger(Array.from({ length: 250 }, () => ({ payload: {} })));
      const named = await until(async () => {
        const ids = payloads.flatMap(changedRuns);
        return ids.length >= 250 ? ids : undefined;
      }, 10_000);
      expect(new Set(named)).toEqual(new Set(runs.map((r) => r.id)));
      expect(payloads).toHaveLength(3);
      for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    } finally {
      off();
    }
  });

  it("subscribes to several channels at once without overlapping queries on the LISTEN connection", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    try {
      const engine = await startTestEngine("notify_listen", { worker: false });
      const heard = new Set<string>();
      const channels = ["a", "b", "c"].map((name) => `${engine.options.schema}_${name}`);
      const offs = channels.map((channel) => partsOf(engine).listener.on(channel, () => heard.add(channel)));
      // A notification heard on every channel: each LISTEN has run (a warning would be out by then).
      await until(async () => {
        for (const channel of channels) await sql("SELECT pg_notify($1, '')", [channel]);
        return heard.size === channels.length ? true : undefined;
      }, 10_000);
      offs.forEach((off) => off());
      expect(warnings.filter((w) => w.includes("already executing a query"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
