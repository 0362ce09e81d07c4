// The audit chain: every status and metadata version of a run is hashed into a chain whose head
// the run row keeps, so `durably audit verify` names the first version edited or deleted by hand,
// and `durably audit export` hands over the history with its hashes.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runs } from "durably";
import { Database } from "../engine/db/database.ts";
import { buildStatements } from "../engine/db/sql/index.ts";
import { verifyAudit } from "../engine/audit/verify.ts";
import { createLogger } from "../engine/logger.ts";
import { TEST_DATABASE_URL, dropSchemas, sql, uniqueSchema } from "./helpers/db.ts";
import { startTestEngine } from "./helpers/engine.ts";
import { audited, auditedChild } from "./fixtures/audit-tasks.ts";

const bin = fileURLToPath(new URL("../bin/durably.js", import.meta.url));
const schema = uniqueSchema("audit");
let db: Database;

function cli(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL };
  const result = spawnSync(process.execPath, [bin, ...args, "--schema", schema], { env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

async function finished(payload: { children: boolean }): Promise<string> {
  const { id } = await audited.trigger(payload, { metadata: { owner: "ops" } });
  const run = await runs.poll(id, { timeoutMs: 60_000 });
  expect(run.error).toBeNull();
  expect(run.status).toBe("SUCCESS");
  return id;
}

const versionsOf = (id: string) => sql<{ tbl: string; seq: number }>(`
  SELECT 'journal' AS tbl, seq, revision FROM "${schema}".journal WHERE run_id = $1 AND kind = 'status'
  UNION ALL SELECT 'run_metadata_history', seq, coalesce(revision, 0) FROM "${schema}".run_metadata_history WHERE run_id = $1
  ORDER BY revision, seq`, [id]);

beforeAll(() => {
  db = new Database(TEST_DATABASE_URL, 2, createLogger("silent"));
});
afterAll(async () => {
  await db.end();
  await dropSchemas(schema);
});

describe("audit chain", () => {
  it("chains every version written: trigger, statuses, own and child metadata changes, batched writes, a fork", async () => {
    await startTestEngine("audit", { schema, tasks: [audited, auditedChild], concurrency: 8 });
    const withChild = await finished({ children: true });
    // Eight at once: their writes share batched statements (writeMany) rather than one each.
    const batch = await Promise.all(Array.from({ length: 8 }, () => finished({ children: false })));
    const versions = await versionsOf(withChild);
    // trigger, 2 statuses, set, increment, a child's increment, append, set.
    expect(versions).toHaveLength(8);
    const hashes = await sql<{ n: number }>(`
      SELECT count(*)::int AS n FROM "${schema}".journal WHERE run_id = ANY($1) AND kind = 'status' AND audit_hash IS NOT NULL`, [[withChild, ...batch]]);
    expect(hashes[0]!.n).toBe(18);
    // Other entries carry no hash: the chain is of statuses and metadata only.
    expect(await sql(`SELECT 1 FROM "${schema}".journal WHERE run_id = $1 AND kind <> 'status' AND audit_hash IS NOT NULL`, [withChild])).toEqual([]);

    const fromSeq = (await sql<{ seq: number }>(`SELECT seq FROM "${schema}".journal WHERE run_id = $1 AND kind = 'task'`, [withChild]))[0]!.seq;
    const fork = await runs.fork(withChild, { fromSeq: fromSeq + 1 });
    expect((await runs.poll(fork.id, { timeoutMs: 60_000 })).status).toBe("SUCCESS");

    const result = await verifyAudit(db, buildStatements(schema), {});
    expect(result.broken).toBeNull();
    expect(result.unhashed).toBe(0);
    const all = await sql<{ n: number }>(`
      SELECT (SELECT count(*) FROM "${schema}".journal WHERE kind = 'status') + (SELECT count(*) FROM "${schema}".run_metadata_history) AS n`);
    expect(result.verified).toBe(Number(all[0]!.n));
    expect(result.runs).toBe(12);
  }, 120_000);

  it("durably audit verify passes an untouched database and names the first version edited or deleted", async () => {
    const ids = (await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE task_id = 'audited' AND forked_from IS NULL ORDER BY id COLLATE "C"`)).map((r) => r.id);
    const ok = cli(["audit", "verify"]);
    expect(ok.err).toBe("");
    expect(ok).toMatchObject({ code: 0, out: expect.stringMatching(/^OK: \d+ version\(s\) of 12 run\(s\) verified\n$/) });
    expect(cli(["audit", "verify", "--since", "2000-01-01"]).code).toBe(0);

    // An UPDATE of one metadata history row: that row is the broken link.
    const [edited, deleted, truncated] = ids as [string, string, string];
    const editedRow = (await versionsOf(edited)).filter((v) => v.tbl === "run_metadata_history")[2]!;
    await sql(`UPDATE "${schema}".run_metadata_history SET metadata = metadata || '{"count": 3}' WHERE run_id = $1 AND seq = $2`, [edited, editedRow.seq]);
    const broken = cli(["audit", "verify", "--run", edited]);
    expect(broken.code).toBe(1);
    expect(broken.out).toBe(`BROKEN: run ${edited}, run_metadata_history seq ${editedRow.seq}: its hash does not follow from its content and the previous version's hash: it or a version before it was edited or deleted\n`);
    expect(JSON.parse(cli(["audit", "verify", "--run", edited, "--json"]).out).broken).toEqual({
      runId: edited, table: "run_metadata_history", seq: editedRow.seq, reason: expect.any(String),
    });

    // A DELETE of a status in the middle: the version after it no longer follows.
    const statuses = await versionsOf(deleted);
    const first = statuses.findIndex((v) => v.tbl === "journal");
    await sql(`DELETE FROM "${schema}".journal WHERE run_id = $1 AND seq = $2`, [deleted, statuses[first]!.seq]);
    const next = statuses[first + 1]!;
    expect(cli(["audit", "verify", "--run", deleted]).out).toMatch(`BROKEN: run ${deleted}, ${next.tbl} seq ${next.seq}:`);

    // A DELETE of the last version: the run's chain head gives it away.
    const last = (await versionsOf(truncated)).at(-1)!;
    await sql(`DELETE FROM "${schema}".run_metadata_history WHERE run_id = $1 AND seq = $2`, [truncated, last.seq]);
    const head = cli(["audit", "verify", "--run", truncated]);
    expect(head.code).toBe(1);
    expect(head.out).toMatch(`BROKEN: run ${truncated}, runs seq `);

    // Every run: exit 1, naming the first broken run in id order.
    const everything = cli(["audit", "verify"]);
    expect(everything.code).toBe(1);
    expect(everything.out).toMatch(`BROKEN: run ${[edited, deleted, truncated].sort()[0]},`);
    expect(cli(["audit", "verify", "--run", ids[3]!]).code).toBe(0);
  }, 120_000);

  it("versions older than the chain are not checked, and verify says how many", async () => {
    const id = (await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE task_id = 'audited' AND forked_from IS NULL ORDER BY id COLLATE "C" OFFSET 4 LIMIT 1`))[0]!.id;
    // As a run written before migration 28 looks: no hash anywhere.
    await sql(`UPDATE "${schema}".journal SET audit_hash = NULL WHERE run_id = $1`, [id]);
    await sql(`UPDATE "${schema}".run_metadata_history SET audit_hash = NULL WHERE run_id = $1`, [id]);
    await sql(`UPDATE "${schema}".runs SET audit_hash = NULL WHERE id = $1`, [id]);
    expect(cli(["audit", "verify", "--run", id])).toMatchObject({
      code: 0, out: "OK: 0 version(s) of 1 run(s) verified; 7 older version(s) predate the audit chain and were not checked\n",
    });
    expectOneLine(cli(["audit", "verify", "--run", "run_nope"]), 'RUN_NOT_FOUND: No run with id "run_nope"');
    expectOneLine(cli(["audit", "verify", "--since", "yesterday"]), "--since must be an ISO date");
  }, 60_000);

  it("durably audit export writes the history with its hashes, as JSON and as CSV", async () => {
    const id = (await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE task_id = 'audited' AND forked_from IS NULL ORDER BY id COLLATE "C" OFFSET 5 LIMIT 1`))[0]!.id;
    const json = cli(["audit", "export", id, "--format", "json"]);
    expect(json.code).toBe(0);
    const history = JSON.parse(json.out);
    expect(history.versions.map((v: { kind: string; op: string | null }) => v.op ?? v.kind)).toEqual(
      ["trigger", "status", "set", "increment", "append", "status", "set"],
    );
    expect(history.versions[1]).toMatchObject({ table: "journal", kind: "status", key: "resize", status: "completed", value: { label: 'Resizing, "please" wait', state: "loading" } });
    expect(history.versions.at(-1)).toMatchObject({ table: "run_metadata_history", op: "set", key: "phase", value: "done", metadata: { owner: "ops", phase: "done", count: 2, log: ["half"] } });
    expect(history.head).toBe(history.versions.at(-1).hash);
    // The first hash covers the trigger's metadata alone: an auditor can start the chain from the export.
    expect(history.versions[0].hash).toMatch(/^[0-9a-f]{64}$/);

    const csv = cli(["audit", "export", id, "--format", "csv"]);
    expect(csv.code).toBe(0);
    const lines = csv.out.split("\r\n");
    expect(lines[0]).toBe("table,seq,revision,at,kind,key,status,value,op,metadata,childRunId,hash");
    expect(lines).toHaveLength(1 + 7 + 1);
    expect(lines.at(-1)).toBe("");
    expect(lines[2]).toContain(`""label"":""Resizing, \\""please\\"" wait""`);
    for (const [n, version] of history.versions.entries()) expect(lines[n + 1]!.endsWith(`,${version.hash}`)).toBe(true);
    expectOneLine(cli(["audit", "export", id, "--format", "xml"]), "--format must be json or csv");
    expectOneLine(cli(["audit", "export", "run_nope"]), 'RUN_NOT_FOUND: No run with id "run_nope"');
  }, 60_000);
});

describe("the audit routes", () => {
  it("are for the secret key only, and send the CSV export as a file", async () => {
    const secret = "audit-routes-secret-0123456789";
    const engine = await startTestEngine("audit", { schema, tasks: [audited, auditedChild], http: { port: 0 }, secretKey: secret });
    const id = (await sql<{ id: string }>(`SELECT id FROM "${schema}".runs WHERE task_id = 'audited' ORDER BY id COLLATE "C" DESC LIMIT 1`))[0]!.id;
    const get = (path: string, key: string) => fetch(`${engine.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const tokenResponse = await fetch(`${engine.url}/api/tokens`, {
      method: "POST", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body: JSON.stringify({ scopes: { read: { runs: [id] } } }),
    });
    const { token } = (await tokenResponse.json()) as { token: string };
    for (const path of ["/api/audit/verify", `/api/audit/verify?run=${id}`, `/api/runs/${id}/audit`, `/api/runs/${id}/audit?format=csv`]) {
      expect((await get(path, token)).status, path).toBe(403);
    }
    const csv = await get(`/api/runs/${id}/audit?format=csv`, secret);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(`attachment; filename="audit-${id}.csv"`);
    expect((await csv.text()).split("\r\n")[0]).toBe("table,seq,revision,at,kind,key,status,value,op,metadata,childRunId,hash");
    expect((await get("/api/audit/verify?since=yesterday", secret)).status).toBe(400);
    expect((await get(`/api/runs/${id}/audit?format=xml`, secret)).status).toBe(400);
  }, 60_000);
});

describe("a fork's audit chain", () => {
  it("continues its origin's chain at the fork point, and verify walks from the fork into its origin", async () => {
    await startTestEngine("audit", { schema, tasks: [audited, auditedChild] });
    const origin = await finished({ children: false });
    const fromSeq = (await sql<{ seq: number }>(`SELECT seq FROM "${schema}".journal WHERE run_id = $1 AND kind = 'task'`, [origin]))[0]!.seq + 1;
    const fork = (await runs.fork(origin, { fromSeq })).id;
    expect((await runs.poll(fork, { timeoutMs: 60_000 })).status).toBe("SUCCESS");

    // The link: the origin's last version before the fork point, which the fork keeps.
    const before = (await versionsOf(origin)).filter((v) => v.seq >= 0 && v.seq < fromSeq).at(-1)!;
    const [link] = await sql<{ origin: string; hash: string }>(`
      SELECT encode(f.audit_origin, 'hex') AS origin, encode(coalesce(j.audit_hash, h.audit_hash), 'hex') AS hash FROM "${schema}".runs f
      LEFT JOIN "${schema}".journal j ON $2 = 'journal' AND j.run_id = f.forked_from AND j.seq = $3
      LEFT JOIN "${schema}".run_metadata_history h ON $2 = 'run_metadata_history' AND h.run_id = f.forked_from AND h.seq = $3
      WHERE f.id = $1`, [fork, before.tbl, before.seq]);
    expect(link!.origin).toMatch(/^[0-9a-f]{64}$/);
    expect(link!.origin).toBe(link!.hash);
    const exported = JSON.parse(cli(["audit", "export", fork]).out);
    expect(exported.origin).toEqual({ runId: origin, hash: link!.origin });

    // Verifying the fork walks into its origin: two runs.
    expect(cli(["audit", "verify", "--run", fork])).toMatchObject({ code: 0, out: expect.stringMatching(/^OK: \d+ version\(s\) of 2 run\(s\) verified\n$/) });

    // An edit of the origin before the fork point is found from the fork.
    const edited = (await versionsOf(origin)).filter((v) => v.tbl === "run_metadata_history" && v.seq > 0 && v.seq < fromSeq)[0]!;
    await sql(`UPDATE "${schema}".run_metadata_history SET value = '"tampered"' WHERE run_id = $1 AND seq = $2`, [origin, edited.seq]);
    expect(cli(["audit", "verify", "--run", fork]).out).toMatch(`BROKEN: run ${origin}, run_metadata_history seq ${edited.seq}:`);

    // An origin whose version at the fork point was rehashed no longer holds the fork's link.
    const table = before.tbl === "journal" ? "journal" : "run_metadata_history";
    await sql(`UPDATE "${schema}".${table} SET audit_hash = sha256('rewritten') WHERE run_id = $1 AND seq = $2`, [origin, before.seq]);
    const unlinked = cli(["audit", "verify", "--run", fork]);
    expect(unlinked.code).toBe(1);
    expect(unlinked.out).toBe(
      `BROKEN: run ${fork}, runs: its chain starts from a hash that its origin ${origin} no longer holds: a version of the origin before the fork point was edited or deleted\n`,
    );
  }, 120_000);
});

function expectOneLine(result: ReturnType<typeof cli>, line: string): void {
  expect(result.code).toBe(1);
  const [first, ...rest] = result.err.trimEnd().split("\n");
  expect(first).toBe(line);
  expect(rest.filter((l) => l !== 'Run "durably --help" for usage.')).toEqual([]);
}
