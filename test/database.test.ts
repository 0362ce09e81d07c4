import type { Socket } from "node:net";
import type pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { Database } from "../engine/db/database.ts";
import { createLogger } from "../engine/logger.ts";
import { TEST_DATABASE_URL, sql } from "./helpers/db.ts";
import { until } from "./helpers/until.ts";

const db = new Database(TEST_DATABASE_URL, 2, createLogger("error"));

afterAll(() => db.end());

/** What a Postgres restart does to a connection: the server ends it between statements. */
async function terminate(client: pg.ClientBase): Promise<void> {
  const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
  await sql("SELECT pg_terminate_backend($1)", [pid]);
  // The FATAL message and the close arrive on the idle, checked-out client: the moment an unheard
  // 'error' would crash. Watched on its socket, not with an 'error' listener that would hear it.
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  await until(async () => (socket.closed ? true : undefined), 10_000, 10);
}

describe("a pooled client whose connection is lost while checked out", () => {
  it("fails the caller's work, not the process, and never returns to the pool", async () => {
    let pid = 0;
    await expect(db.withClient(async (client) => {
      pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      await terminate(client);
      await client.query("SELECT 1");
    })).rejects.toThrow();
    const { rows: [after] } = await db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    expect(after!.pid).not.toBe(pid);
  });

  it("does the same inside a transaction", async () => {
    await expect(db.transaction(async (client) => {
      await terminate(client);
      await client.query("SELECT 1");
    })).rejects.toThrow();
    expect((await db.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });
});

describe("ending the pool", () => {
  it("resolves once its connections have closed, so a server stopped right after cuts none of them off", async () => {
    const own = new Database(TEST_DATABASE_URL, 3, createLogger("error"));
    const sockets: Socket[] = [];
    own.pool.on("connect", (client) => sockets.push((client as unknown as { connection: { stream: Socket } }).connection.stream));
    await Promise.all([1, 2, 3].map(() => own.query("SELECT pg_sleep(0.05)")));
    expect(sockets).toHaveLength(3);
    await own.end();
    expect(sockets.map((socket) => socket.closed)).toEqual([true, true, true]);
  });
});
