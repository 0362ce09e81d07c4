import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runs, task } from "durably";
import { setFaultHandler, type FaultPoint } from "../engine/debug/fault-points.ts";
import { sql } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { until } from "./helpers/until.ts";

const SECRET = "whsec_alerts_test_secret";
const OTHER_SECRET = "whsec_other_receiver_secret";

interface Received {
  path: string;
  verified: boolean;
  body: { id: string; type: string; run: { id: string; taskIdentifier: string; status: string; error: { code?: string } | null } };
}

/** Checks a `durably-signature` as a receiver would: the HMAC of "<t>.<body>", and a timestamp no older than 5 minutes. */
function verify(header: string | undefined, body: string, secret: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return false;
  const expected = createHmac("sha256", secret).update(`${match[1]}.${body}`).digest();
  return Math.abs(Date.now() / 1000 - Number(match[1])) < 300 && timingSafeEqual(expected, Buffer.from(match[2]!, "hex"));
}

const servers: { close(): void }[] = [];
afterEach(() => {
  servers.splice(0).forEach((s) => s.close());
  setFaultHandler(undefined);
});

/** A webhook receiver that answers 500 to its first request and checks every signature. */
async function receiver() {
  const received: Received[] = [];
  let requests = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const secret = req.url === "/other" ? OTHER_SECRET : SECRET;
    const verified = verify(req.headers["durably-signature"] as string | undefined, body, secret);
    received.push({ path: req.url!, verified, body: JSON.parse(body) });
    res.statusCode = requests++ === 0 ? 500 : verified ? 200 : 400;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe("alert webhooks", () => {
  const ok = task({ id: "alert-ok", run: async () => "fine" });
  const bad = task({
    id: "alert-bad",
    retry: { maxAttempts: 1 },
    run: async () => {
      throw new Error("card declined");
    },
  });
  const unwatched = task({
    id: "alert-unwatched",
    retry: { maxAttempts: 1 },
    run: async () => {
      throw new Error("nobody listens");
    },
  });
  const slow = task({
    id: "alert-slow",
    maxDuration: 0.3,
    run: async (_: null, { io }) => io.runTask("forever", ({ signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))),
  });

  it("posts signed alerts for failed, timed-out and canceled runs of the tasks named, retries after a 500, and records every attempt", async () => {
    const { url, received } = await receiver();
    const engine = await startTestEngine("alerts", {
      tasks: [ok, bad, unwatched, slow],
      alerts: [
        { url: `${url}/hooks`, events: ["run.failed", "run.timed_out", "run.canceled"], tasks: ["alert-bad", "alert-slow", "alert-ok"], secret: SECRET },
        { url: `${url}/other`, events: ["run.canceled"], secret: OTHER_SECRET },
      ],
    });
    const deliveries = async (runId: string) =>
      sql<{ event: string; url: string; status: string; body: string; attempts: { at: string; status: number | null; error: string | null }[] }>(
        `SELECT event, url, status, body, attempts FROM "${engine.options.schema}".alert_deliveries WHERE run_id = $1 ORDER BY url`, [runId],
      );

    const failed = await bad.trigger(null);
    expect((await runs.poll(failed.id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    const [delivery] = await until(async () => {
      const rows = await deliveries(failed.id);
      return rows[0]?.status === "DELIVERED" ? rows : undefined;
    }, 30_000);
    // The first attempt got the 500; pg-boss retried it after its backoff.
    expect(delivery!.attempts.map((a) => a.status)).toEqual([500, 200]);
    expect(delivery!.attempts[0]!.error).toBe("HTTP 500");
    expect(delivery).toMatchObject({ event: "run.failed", url: `${url}/hooks` });
    expect(received.map((r) => r.verified)).toEqual([true, true]);
    expect(received[1]!.body).toEqual(JSON.parse(delivery!.body));
    expect(received[1]!.body).toMatchObject({
      type: "run.failed", run: { id: failed.id, taskIdentifier: "alert-bad", status: "FAILURE", error: { message: "card declined" } },
    });
    expect(received[1]!.body.run.error).not.toHaveProperty("stack");

    const timedOut = await slow.trigger(null);
    const delayed = await ok.trigger(null, { delay: "1h" });
    await runs.cancel(delayed.id);
    const ignoredOk = await ok.trigger(null);
    const ignoredFailure = await unwatched.trigger(null);
    await Promise.all([timedOut, ignoredOk, ignoredFailure].map((h) => runs.poll(h.id, { timeoutMs: 20_000 })));

    await until(async () => (received.length === 5 ? true : undefined), 30_000);
    const byRun = (id: string) => received.filter((r) => r.body.run.id === id).map((r) => ({ path: r.path, type: r.body.type, verified: r.verified }));
    expect(byRun(timedOut.id)).toEqual([{ path: "/hooks", type: "run.timed_out", verified: true }]);
    expect(received.find((r) => r.body.run.id === timedOut.id)!.body.run.error).toMatchObject({ code: "MAX_DURATION_EXCEEDED" });
    expect(byRun(delayed.id).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: "/hooks", type: "run.canceled", verified: true },
      { path: "/other", type: "run.canceled", verified: true },
    ]);
    await until(async () => ((await deliveries(delayed.id)).every((d) => d.status === "DELIVERED") ? true : undefined), 10_000);
    expect(await deliveries(ignoredOk.id)).toEqual([]);
    expect(await deliveries(ignoredFailure.id)).toEqual([]);
  });

  it("sends the alert of a run whose process died between the run's end and recording its alert, once, and none for ends before the url was known", async () => {
    const { url, received } = await receiver();
    const before = await startTestEngine("alerts_sweep", { tasks: [bad], recoverySeconds: 1 });
    const schema = before.options.schema;
    const earlier = await bad.trigger(null);
    expect((await runs.poll(earlier.id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    await before.stop();

    let crashes = 0;
    setFaultHandler((point: FaultPoint) => {
      if (point !== "after-commit:release" || crashes > 0) return;
      crashes++;
      throw Object.assign(new Error("injected crash after the run's end committed"), { code: "57P01" });
    });
    const engine = await startTestEngine("alerts_sweep", {
      schema, tasks: [bad], recoverySeconds: 1, alerts: [{ url: `${url}/hooks`, events: ["run.failed"], secret: SECRET }],
    });
    const crashed = await bad.trigger(null);
    expect((await runs.poll(crashed.id, { timeoutMs: 20_000 })).status).toBe("FAILURE");
    expect(crashes).toBe(1);
    const delivered = await until(async () => {
      const rows = await sql<{ run_id: string; status: string }>(`SELECT run_id, status FROM "${schema}".alert_deliveries`);
      return rows.some((r) => r.status === "DELIVERED") ? rows : undefined;
    }, 30_000);
    expect(delivered.map((r) => r.run_id)).toEqual([crashed.id]);
    expect(received.at(-1)!.body).toMatchObject({ type: "run.failed", run: { id: crashed.id } });

    // Later sweeps find it recorded: a later run's alert is the only new one.
    const later = await bad.trigger(null);
    await runs.poll(later.id, { timeoutMs: 20_000 });
    const rows = await until(async () => {
      const all = await sql<{ run_id: string }>(`SELECT run_id FROM "${schema}".alert_deliveries WHERE status = 'DELIVERED' ORDER BY run_id`);
      return all.length === 2 ? all : undefined;
    }, 30_000);
    expect(rows.map((r) => r.run_id)).toEqual([crashed.id, later.id].sort());
    await engine.stop();
    expect(await sql(`SELECT 1 FROM "${schema}".alert_deliveries WHERE run_id = $1`, [earlier.id])).toEqual([]);
  });

  it("refuses an alert without events or with a short secret", async () => {
    await expect(startTestEngine("alerts_bad", { tasks: [ok], alerts: [{ url: "http://127.0.0.1:1/x", events: [], secret: SECRET }] }))
      .rejects.toThrow(/alerts\.0\.events: name at least one of run\.failed, run\.timed_out, run\.canceled/);
    await expect(startTestEngine("alerts_bad", { tasks: [ok], alerts: [{ url: "http://127.0.0.1:1/x", events: ["run.failed"], secret: "short" }] }))
      .rejects.toThrow(/alerts\.0\.secret: must be at least 16 characters/);
  });
});
