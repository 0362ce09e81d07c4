import { InvalidPayloadError, WaitpointCompletedError, WaitpointNotFoundError } from "../../sdk/errors.ts";
import type { CreateWaitTokenOptions, ListWaitTokensFilter, WaitpointList, WaitpointRecord, WaitToken } from "../../sdk/waitpoints.ts";
import { WAITPOINT_STATUSES } from "../../sdk/waitpoints.ts";
import { createPublicToken, MAX_TOKEN_SECONDS, type TokenSigner } from "../auth/tokens.ts";
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { Batcher } from "../db/batcher.ts";
import { claimedFromJson } from "../db/hot-path/write-journal.ts";
import type { LocalStarts } from "../orchestration/insert-run.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
import { WAKE_JOBS } from "../db/sql/waitpoints.ts";
import { parseDelay } from "../delay.ts";
import { newId } from "../ids.ts";
import type { Channels } from "../notify/listener.ts";
import { checkId, normalizeTags } from "../orchestration/insert-run.ts";
import type { JobSender } from "../jobs/job-sender.ts";
import { decode, encode, type Stored } from "../serialize.ts";
import { toWaitpoint, type WaitpointRow } from "./records.ts";
import { callbackSecret, hashSecret, secretMatches } from "./secrets.ts";
import { wakeRuns } from "./wake-runs.ts";

export interface WaitpointsDeps {
  db: Database;
  sql: Statements;
  scheduler: JobSender;
  channels: Channels;
  maxPayloadBytes: number;
  /** Signs the tokens' browser tokens and keys their callback secrets; dev mode has none. */
  signer: TokenSigner | undefined;
  schema: string;
  /** Where the callback URLs point: the `publicUrl` option, else the engine's HTTP address. */
  publicUrl: () => string;
  /** This process's worker, which resumes the runs a completion here wakes itself while it has free slots. */
  localStarts?: LocalStarts | undefined;
}

/** At most this many of a token's runs resume in the completing process; the rest go to any worker. */
const LOCAL_RESUMES = 8;

/** The path a token's callback URL adds to the public URL; served without an API key (http/server.ts). */
export const callbackPath = (id: string, secret: string) => `/callbacks/waitpoints/${encodeURIComponent(id)}/${secret}`;

/** How a completion went: it settled the token, or found none, or found it settled already. */
type Settled = "settled" | "not-found" | "COMPLETED" | "TIMED_OUT";

/** Waitpoint tokens from the outside: create, complete, read. A run's own side is await-token.ts. */
export class Waitpoints {
  /**
   * Completions arriving together share a statement, and at most two are in flight at once: one
   * that must send wake-up jobs holds a pooled connection for its transaction while it sends them,
   * and pg-boss reads its queue on the pool the first time, so a burst of completions each in its
   * own transaction could take every connection of a small pool (a direct backend has five) and
   * wait on each other forever.
   */
  readonly #completions = new Batcher<{ id: string; output: Stored }, Settled>((items) => this.#settle(items), {
    maxBatch: 100, concurrency: 2,
    // A statement settles a token once: a second completion of it goes in a later batch, and is refused there.
    key: (item) => item.id,
  });

  constructor(private readonly deps: WaitpointsDeps) {}

  async create(options: CreateWaitTokenOptions): Promise<WaitToken> {
    const { db, sql } = this.deps;
    const timeoutAt = when(options.timeout, "timeout", true);
    const keyExpiresAt = when(options.idempotencyKeyTTL, "idempotencyKeyTTL", false);
    const tags = normalizeTags(options.tags);
    const key = options.idempotencyKey ?? null;
    if (key !== null) checkId(key, "idempotency key");
    const id = newId("waitpoint");
    // A key expired between the insert and the lookup is cleared and the insert tried once more.
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await db.query<WaitpointRow>(sql.waitpoints.insert, [id, hashSecret(this.#secret(id)), timeoutAt, key, keyExpiresAt, tags]);
      if (inserted.rows[0]) return this.#token(id, false);
      const { rows } = await db.query<WaitpointRow & { expired: boolean }>(sql.waitpoints.byIdempotencyKey, [key]);
      if (rows[0] && !rows[0].expired) return this.#token(rows[0].id, true);
      if (rows[0]) await db.query(sql.waitpoints.clearIdempotencyKey, [rows[0].id]);
    }
    throw new InvalidPayloadError(`Idempotency key "${key}" is being reused concurrently; try again`);
  }

  async access(id: string): Promise<WaitToken> {
    await this.retrieve(id);
    return this.#token(id, true);
  }

  /** COMPLETED with `output`, waking every run waiting on the token in the same statement. */
  async complete(id: string, output: unknown): Promise<void> {
    checkId(id, "waitpoint id");
    const settled = await this.#completions.run({ id, output: encode(output, "waitpoint output", this.deps.maxPayloadBytes) });
    if (settled === "not-found") throw new WaitpointNotFoundError(id);
    if (settled !== "settled") throw new WaitpointCompletedError(id, settled);
  }

  /**
   * One statement for completions that came together, committing on its own (`complete` in
   * db/sql/waitpoints.ts): it settles each token, journals its outcome for the runs waiting on it
   * and makes them ready. When a run it names needs a wake-up job the statement refuses
   * (`WAKE_JOBS`), and runs again in a transaction that sends the jobs.
   */
  async #settle(items: { id: string; output: Stored }[]): Promise<Settled[]> {
    const { db, sql, channels, localStarts } = this.deps;
    // What the run would journal itself on waking (recorder.awaitToken): the same bytes.
    const batch = JSON.stringify(items.map(({ id, output }) => ({ id, output, outcome: JSON.stringify(encode({ ok: true, output: decode(output) }, "waitpoint outcome")) })));
    const taskIds = [...(localStarts?.taskIds ?? [])];
    const reserved = localStarts?.reserve(LOCAL_RESUMES * items.length) ?? 0;
    const leases = Array.from({ length: reserved }, () => randomUUID());
    type Completed = { results: Record<string, Settled>; woken: string[]; started: Record<string, unknown>[] };
    const complete = (withJobs: boolean, on?: pg.PoolClient) =>
      db.query<Completed>(sql.waitpoints.complete, [batch, channels.run, channels.wake, taskIds, leases, withJobs], on);
    try {
      const row = await complete(false).then((result) => result.rows[0]!, async (error: { code?: string }) => {
        if (error.code !== WAKE_JOBS) throw error;
        return db.transaction(async (client) => {
          const inTransaction = (await complete(true, client)).rows[0]!;
          await wakeRuns({ db, sql, scheduler: this.deps.scheduler, wakeChannel: channels.wake }, client, inTransaction.woken);
          return inTransaction;
        });
      });
      localStarts?.started(reserved, row.started.map(claimedFromJson), false);
      return items.map(({ id }) => row.results[id]!);
    } catch (error) {
      localStarts?.started(reserved, [], false);
      throw error;
    }
  }

  /** Whether `secret` is the one in this token's callback URL; false for a token that does not exist. */
  async callbackAllowed(id: string, secret: string): Promise<boolean> {
    const { rows } = await this.deps.db.query<{ secret_hash: Buffer }>(this.deps.sql.waitpoints.secretHash, [id]);
    return rows[0] !== undefined && secretMatches(secret, rows[0].secret_hash);
  }

  async retrieve(id: string): Promise<WaitpointRecord> {
    checkId(id, "waitpoint id");
    const { rows } = await this.deps.db.query<WaitpointRow>(this.deps.sql.waitpoints.get, [id]);
    if (!rows[0]) throw new WaitpointNotFoundError(id);
    return toWaitpoint(rows[0]);
  }

  async list(filter: ListWaitTokensFilter): Promise<WaitpointList> {
    const limit = Math.min(Math.max(filter.limit ?? 20, 1), 100);
    const statuses = filter.status === undefined ? null : Array.isArray(filter.status) ? filter.status : [filter.status];
    for (const status of statuses ?? []) {
      if (!WAITPOINT_STATUSES.includes(status)) throw new InvalidPayloadError(`Unknown waitpoint status "${status}": one of ${WAITPOINT_STATUSES.join(", ")}`);
    }
    const tags = filter.tags === undefined ? null : normalizeTags(filter.tags);
    if (filter.runId !== undefined) checkId(filter.runId, "run id");
    const after = filter.cursor ? afterCursor(filter.cursor) : null;
    const { rows } = await this.deps.db.query<WaitpointRow>(this.deps.sql.waitpoints.list, [statuses, tags, filter.runId ?? null, after, limit + 1]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { data: page.map(toWaitpoint), nextCursor: rows.length > limit && last ? Buffer.from(last.id).toString("base64url") : null };
  }

  #secret(id: string): string {
    return callbackSecret(this.deps.signer?.secretKey ?? `durably-dev:${this.deps.schema}`, id);
  }

  async #token(id: string, isCached: boolean): Promise<WaitToken> {
    const url = this.deps.publicUrl().replace(/\/+$/, "") + callbackPath(id, this.#secret(id));
    const scopes = { read: { waitpoints: [id] }, write: { waitpoints: [id] } };
    const publicAccessToken = this.deps.signer ? await createPublicToken(this.deps.signer, { scopes, expiresIn: MAX_TOKEN_SECONDS }) : "";
    return { id, url, publicAccessToken, isCached };
  }
}

/** A timeout takes what a trigger's `delay` takes (a date too); a TTL what its `ttl` takes. */
function when(value: unknown, what: string, dates: boolean): Date | null {
  if (value === undefined) return null;
  if (!(typeof value === "number" || typeof value === "string" || (dates && value instanceof Date))) {
    throw new InvalidPayloadError(`${what} must be seconds, a duration like "10m"${dates ? " or a date" : ""}`);
  }
  return parseDelay(value as number | string | Date) ?? null;
}

/** Keyset pagination over token ids, which sort by creation time, as runs' cursors do (cursor.ts). */
function afterCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^waitpoint_[0-9a-z]{22}(?:[0-9a-z]{4})?$/.test(id)) throw new InvalidPayloadError("Invalid cursor");
  return id;
}
