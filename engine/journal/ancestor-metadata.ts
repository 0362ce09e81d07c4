import type pg from "pg";
import type { MetadataOp, MetadataTarget } from "../../sdk/context.ts";
import type { Json, Metadata } from "../../sdk/types.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { checkMetadata } from "../serialize.ts";
import { applyMetadataOp } from "./metadata-ops.ts";

export interface AncestorChange {
  target: MetadataTarget;
  op: MetadataOp;
  key: string;
  value: Json | undefined;
  maxMetadataBytes: number;
}

/** What a descendant's change did: the run it changed (none: a run without a parent) and its metadata after. */
export type AncestorChangeResult = { runId: string; metadata: Metadata } | { runId: null };

/**
 * Applies a change of `runId`'s code to its parent's or root's metadata inside the caller's
 * transaction, before the caller journals it in `runId`: the ancestor's row lock makes concurrent
 * children's changes add up, and the journal entry commits with the change or neither does, so
 * a replay (which finds the entry) never applies it twice. The caller holds the child's row (its
 * lease fence) before the ancestor's is locked here: the order in which a finishing child wakes
 * its parent (wake-parent.ts). Ancestor first deadlocked with that and the heartbeat, which
 * locks a worker's children in id order. An invalid change (an increment of text, metadata over
 * its limit) throws before anything is written.
 */
export async function changeAncestorMetadata(
  db: Database, sql: Statements, client: pg.PoolClient, args: { runId: string; change: AncestorChange; notifyChannel: string },
): Promise<AncestorChangeResult> {
  const { runId, change, notifyChannel } = args;
  const { rows } = await db.query<{ parent: string | null; root: string }>(sql.metadata.ancestors, [runId], client);
  const target = change.target === "parent" ? rows[0]?.parent ?? null : rows[0]?.root ?? null;
  if (target === null) return { runId: null };
  const locked = await db.query<{ metadata: Metadata }>(sql.metadata.lockMetadata, [target], client);
  const next = checkMetadata(applyMetadataOp(locked.rows[0]?.metadata ?? {}, change.op, change.key, change.value), change.maxMetadataBytes);
  const op = change.op === "set" && change.value === undefined ? "del" : change.op;
  await db.query(sql.metadata.changeByDescendant, [
    target, JSON.stringify(next), op, change.key, change.value === undefined ? null : JSON.stringify(change.value),
    target === runId ? null : runId, notifyChannel,
  ], client);
  return { runId: target, metadata: next };
}
