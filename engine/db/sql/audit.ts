import { entryOutputJsonb } from "./journal-output.ts";

/**
 * The audit chain: every status entry (journal, kind 'status') and every metadata change
 * (run_metadata_history) of a run carries `audit_hash = sha256(previous hash || content)`, the
 * previous hash being the run's chain head (`runs.audit_hash`), which the write that adds the
 * version moves in the same statement. The content is the version's canonical form, its journal
 * position and commit time included, as jsonb text (deterministic for a given value); times as
 * epoch seconds, so that no session's TimeZone changes them. A version's place in the chain is
 * its run revision, then its seq (a fork's copied versions share revision 1): `versionOrder`.
 *
 * A fork's chain starts from its origin's hash at the fork point (the origin's last version before
 * `fromSeq`) instead of the empty string; the fork keeps that hash (`runs.audit_origin`), so verify
 * checks that the origin still holds a version with it and walks on into the origin's chain.
 */

/** A status entry's content, from the values of its journal row. */
export const statusContent = (runId: string, seq: string, key: string, status: string, output: string, at: string) =>
  `convert_to(jsonb_build_array('status', ${runId}::text, ${seq}::integer, ${key}::text, ${status}::text, ${output}::jsonb, extract(epoch from ${at}))::text, 'UTF8')`;

/** A metadata change's content, from the values of its history row. */
export const metadataContent = (
  runId: string, seq: string, op: string, key: string, value: string, metadata: string, child: string, at: string,
) => `convert_to(jsonb_build_array('metadata', ${runId}::text, ${seq}::integer, ${op}::text, ${key}::text, ${value}::jsonb,
      ${metadata}::jsonb, ${child}::text, extract(epoch from ${at}))::text, 'UTF8')`;

/** The hash of a version whose run's chain head is `head`. */
export const chained = (head: string, content: string) => `sha256(coalesce(${head}, '\\x'::bytea) || ${content})`;

/** The versions of the run `run` (a parameter) with their content; order them with `versionOrder`. */
const versions = (s: string, run = "$1") => `
      SELECT 'journal' AS tbl, j.seq, coalesce(j.revision, 0) AS revision, j.audit_hash,
        ${statusContent("j.run_id", "j.seq", "j.key", "j.status", entryOutputJsonb("j"), "j.finished_at")} AS content
      FROM ${s}.journal j WHERE j.run_id = ${run} AND j.kind = 'status'
      UNION ALL
      SELECT 'run_metadata_history', h.seq, coalesce(h.revision, 0), h.audit_hash,
        ${metadataContent("h.run_id", "h.seq", "h.op", "h.key", "h.value", "h.metadata", "h.child_run_id", "h.at")}
      FROM ${s}.run_metadata_history h WHERE h.run_id = ${run}`;
const versionOrder = (v: string, direction = "") => `${v}.revision ${direction}, ${v}.seq ${direction}, ${v}.tbl ${direction}`;

/**
 * The run rows verify and export read: the run, or once it was purged with its history kept
 * (`keepStatusHistory`), its `kept_histories` row, which holds the same chain head and fork link.
 */
const runsOrKept = (s: string) => `(
      SELECT id, created_at, audit_hash, audit_origin, forked_from FROM ${s}.runs
      UNION ALL
      SELECT run_id, created_at, audit_hash, audit_origin, forked_from FROM ${s}.kept_histories)`;

export function auditStatements(s: string) {
  return {
    /**
     * The runs to verify, oldest first: one ($1), or created since $2, or all; $3 the last id of
     * the previous page. Purged runs whose history is kept are verified too.
     */
    runs: `
      SELECT id FROM ${runsOrKept(s)} AS r
      WHERE ($1::text IS NULL OR id = $1) AND ($2::timestamptz IS NULL OR created_at >= $2) AND id > coalesce($3::text, '')
      ORDER BY id COLLATE "C" LIMIT 500`,
    /**
     * A run's chain head, where its chain starts (a fork's origin hash) and its versions in chain
     * order, each with the content its hash covers.
     */
    chain: `
      SELECT r.audit_hash AS head, r.audit_origin AS origin, r.forked_from, v.tbl, v.seq, v.audit_hash, v.content
      FROM ${runsOrKept(s)} AS r LEFT JOIN LATERAL (${versions(s)}) AS v ON true WHERE r.id = $1 ORDER BY ${versionOrder("v")}`,
    /** The version of run $1 whose hash is $2 (where a fork's chain starts), if it still holds one. */
    origin: `
      SELECT 'journal' AS tbl, seq FROM ${s}.journal WHERE run_id = $1 AND kind = 'status' AND audit_hash = $2
      UNION ALL
      SELECT 'run_metadata_history', seq FROM ${s}.run_metadata_history WHERE run_id = $1 AND audit_hash = $2
      LIMIT 1`,
    /**
     * Chains the versions of fork $1 (its trigger's metadata, then the statuses and metadata
     * changes it copied) onto the hash of its origin $2's last version before the fork point $3,
     * and keeps that hash; in the fork's transaction before anything else can write to it. An
     * origin without a hashed version there (written before the chain existed) gives a chain of
     * the fork's own, as before migration 30.
     */
    rechain: `
      WITH RECURSIVE origin AS (
        SELECT (SELECT o.audit_hash FROM (${versions(s, "$2")}) AS o WHERE o.seq >= 0 AND o.seq < $3
          ORDER BY ${versionOrder("o", "DESC")} LIMIT 1) AS h
      ), v AS (
        SELECT row_number() OVER (ORDER BY ${versionOrder("x")}) AS n, tbl, seq, content FROM (${versions(s)}) AS x
      ), c AS (
        SELECT n, tbl, seq, ${chained("(SELECT h FROM origin)", "content")} AS h FROM v WHERE n = 1
        UNION ALL
        SELECT v.n, v.tbl, v.seq, sha256(c.h || v.content) FROM c JOIN v ON v.n = c.n + 1
      ), j AS (
        UPDATE ${s}.journal j SET audit_hash = c.h FROM c WHERE c.tbl = 'journal' AND j.run_id = $1 AND j.seq = c.seq
      ), m AS (
        UPDATE ${s}.run_metadata_history h SET audit_hash = c.h FROM c WHERE c.tbl = 'run_metadata_history' AND h.run_id = $1 AND h.seq = c.seq
      )
      UPDATE ${s}.runs SET audit_origin = (SELECT h FROM origin),
        audit_hash = coalesce((SELECT h FROM c ORDER BY n DESC LIMIT 1), (SELECT h FROM origin))
      WHERE id = $1`,
    /** A run's chain head and, for a fork, its origin and the origin's hash its chain starts from; hex. */
    head: `SELECT encode(audit_hash, 'hex') AS head, forked_from, encode(audit_origin, 'hex') AS origin FROM ${runsOrKept(s)} AS r WHERE id = $1`,
    /** A run's full history for an auditor: statuses and metadata changes in chain order, with their hashes. */
    export: `
      SELECT 'journal' AS tbl, j.seq, j.revision, j.finished_at AS at, 'status' AS kind, j.key, j.status::text AS status,
        ${entryOutputJsonb("j")} -> 'json' AS value, NULL::text AS op, NULL::jsonb AS metadata, NULL::text AS child_run_id, encode(j.audit_hash, 'hex') AS hash
      FROM ${s}.journal j WHERE j.run_id = $1 AND j.kind = 'status'
      UNION ALL
      SELECT 'run_metadata_history', h.seq, h.revision, h.at, 'metadata', h.key, NULL, h.value, h.op, h.metadata, h.child_run_id,
        encode(h.audit_hash, 'hex')
      FROM ${s}.run_metadata_history h WHERE h.run_id = $1
      ORDER BY revision NULLS FIRST, seq, tbl`,
  };
}
