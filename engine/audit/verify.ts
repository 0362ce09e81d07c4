import { createHash } from "node:crypto";
import type { AuditBrokenLink, AuditVerifyResult } from "../../wire/index.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";

/** A version in chain order; a run without versions comes as one row with only its head. */
interface ChainRow {
  head: Buffer | null;
  /** A fork's start: its origin's hash at the fork point. */
  origin: Buffer | null;
  forked_from: string | null;
  tbl: "journal" | "run_metadata_history" | null;
  seq: number;
  audit_hash: Buffer | null;
  content: Buffer;
}

/**
 * Recomputes the audit chain of each run the filter names (engine/db/sql/audit.ts) and stops at the
 * first link that does not hold: a version edited (its hash no longer covers its content), deleted
 * (the next version's hash no longer follows from the previous), or removed from the end (the run's
 * chain head is not the last version's hash). A run's versions older than the chain are skipped:
 * its chain starts at the first version that has a hash. A fork's chain starts from its origin's
 * hash at the fork point, which the origin must still hold; verifying one run (`runId`) walks on
 * from a fork into its origin, and from there into the origin's origin.
 */
export async function verifyAudit(db: Database, sql: Statements, filter: { runId?: string | undefined; since?: Date | undefined }): Promise<AuditVerifyResult> {
  const result: AuditVerifyResult = { runs: 0, verified: 0, unhashed: 0, broken: null };
  const verifyRun = async (id: string): Promise<string | null> => {
    result.runs++;
    const { rows: chain } = await db.query<ChainRow>(sql.audit.chain, [id]);
    result.broken = verifyChain(id, chain, result) ?? (await verifyLink(db, sql, id, chain[0]));
    return chain[0]?.origin ? chain[0].forked_from : null;
  };
  if (filter.runId !== undefined) {
    const { rows } = await db.query<{ id: string }>(sql.audit.runs, [filter.runId, null, null]);
    let next: string | null = rows[0]?.id ?? null;
    while (next !== null && !result.broken) next = await verifyRun(next);
    return result;
  }
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: { id: string }[] } = await db.query<{ id: string }>(sql.audit.runs, [null, filter.since ?? null, after]);
    for (const { id } of rows) {
      await verifyRun(id);
      if (result.broken) return result;
    }
    if (rows.length === 0) return result;
    after = rows[rows.length - 1]!.id;
  }
}

function verifyChain(runId: string, chain: ChainRow[], counts: AuditVerifyResult): AuditBrokenLink | null {
  let head: Buffer | null = chain[0]?.origin ?? null;
  for (const row of chain) {
    if (row.tbl === null) continue;
    if (head === null && row.audit_hash === null) {
      counts.unhashed++;
      continue;
    }
    const at = { runId, table: row.tbl, seq: row.seq } as const;
    if (row.audit_hash === null) return { ...at, reason: "has no hash, though versions before it have" };
    const expected: Buffer = createHash("sha256").update(head ?? Buffer.alloc(0)).update(row.content).digest();
    if (!expected.equals(row.audit_hash)) {
      return { ...at, reason: "its hash does not follow from its content and the previous version's hash: it or a version before it was edited or deleted" };
    }
    head = expected;
    counts.verified++;
  }
  const stored = chain[0]?.head ?? null;
  if ((stored === null) !== (head === null) || (stored && head && !stored.equals(head))) {
    return { runId, table: "runs", seq: chain.at(-1)?.tbl ? chain.at(-1)!.seq : null, reason: "the run's chain head is not the last version's hash: a version after it was deleted, or the head edited" };
  }
  return null;
}

/** A fork's chain starts from a hash its origin must still hold (the origin's own chain covers that version). */
async function verifyLink(db: Database, sql: Statements, runId: string, run: ChainRow | undefined): Promise<AuditBrokenLink | null> {
  if (!run?.origin) return null;
  const broken = (reason: string): AuditBrokenLink => ({ runId, table: "runs", seq: null, reason });
  if (!run.forked_from) return broken("its chain starts from an origin's hash, but it names no origin run");
  const { rows } = await db.query(sql.audit.origin, [run.forked_from, run.origin]);
  if (rows.length === 0) {
    return broken(`its chain starts from a hash that its origin ${run.forked_from} no longer holds: a version of the origin before the fork point was edited or deleted`);
  }
  return null;
}
