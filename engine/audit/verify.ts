import { createHash } from "node:crypto";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";

/** The first link of a run's audit chain that does not hold. */
export interface BrokenLink {
  runId: string;
  /** `journal` (a status), `run_metadata_history` (a metadata change), or `runs` (the chain head). */
  table: "journal" | "run_metadata_history" | "runs";
  /** The version's journal position; for the head, the last version's (null when there is none). */
  seq: number | null;
  reason: string;
}

export interface VerifyResult {
  runs: number;
  /** Versions whose hashes were checked. */
  verified: number;
  /** Versions written before the audit chain existed (migration 28), which no hash covers. */
  unhashed: number;
  broken: BrokenLink | null;
}

/** A version in chain order; a run without versions comes as one row with only its head. */
interface ChainRow {
  tbl: "journal" | "run_metadata_history" | null;
  seq: number;
  audit_hash: Buffer | null;
  content: Buffer;
  head: Buffer | null;
}

/**
 * Recomputes the audit chain of each run the filter names (engine/db/sql/audit.ts) and stops at the
 * first link that does not hold: a version edited (its hash no longer covers its content), deleted
 * (the next version's hash no longer follows from the previous), or removed from the end (the run's
 * chain head is not the last version's hash). A run's versions older than the chain are skipped:
 * its chain starts at the first version that has a hash.
 */
export async function verifyAudit(db: Database, sql: Statements, filter: { runId?: string; since?: Date }): Promise<VerifyResult> {
  const result: VerifyResult = { runs: 0, verified: 0, unhashed: 0, broken: null };
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: { id: string }[] } = await db.query<{ id: string }>(sql.audit.runs, [filter.runId ?? null, filter.since ?? null, after]);
    for (const { id } of rows) {
      result.runs++;
      const { rows: chain } = await db.query<ChainRow>(sql.audit.chain, [id]);
      result.broken = verifyChain(id, chain, result);
      if (result.broken) return result;
    }
    if (rows.length === 0) return result;
    after = rows[rows.length - 1]!.id;
  }
}

function verifyChain(runId: string, chain: ChainRow[], counts: VerifyResult): BrokenLink | null {
  let head: Buffer | null = null;
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
