import { InvalidPayloadError, WaitpointCompletedError, WaitpointNotFoundError } from "../../sdk/errors.ts";
import type { CreateWaitTokenOptions, ListWaitTokensFilter, WaitpointList, WaitpointRecord, WaitToken } from "../../sdk/waitpoints.ts";
import { WAITPOINT_STATUSES } from "../../sdk/waitpoints.ts";
import { createPublicToken, MAX_TOKEN_SECONDS, type TokenSigner } from "../auth/tokens.ts";
import { randomUUID } from "node:crypto";
import { Batcher } from "../db/batcher.ts";
import { claimedFromJson } from "../db/hot-path/write-journal.ts";
import type { ClaimedRow } from "../db/rows.ts";
import type { LocalStarts } from "../orchestration/insert-run.ts";
import type { Database } from "../db/database.ts";
import type { Statements } from "../db/sql/index.ts";
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
   * Completions arriving together share a transaction, and at most two are open at once: each
   * holds a pooled connection while its wake-up jobs are sent, and pg-boss reads its queue on
   * the pool the first time, so a burst of completions each in its own transaction could take
   * every connection of a small pool (a direct backend has five) and wait on each other forever.
   */
  readonly #completions = new Batcher<{ id: string; output: Stored }, Settled>((items) => this.#settle(items), { maxBatch: 100, concurrency: 2 });

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

  /** COMPLETED with `output`, waking every run waiting on the token in the same transaction. */
  async complete(id: string, output: unknown): Promise<void> {
    checkId(id, "waitpoint id");
    const settled = await this.#completions.run({ id, output: encode(output, "waitpoint output", this.deps.maxPayloadBytes) });
    if (settled === "not-found") throw new WaitpointNotFoundError(id);
    if (settled !== "settled") throw new WaitpointCompletedError(id, settled);
  }

  /**
   * One transaction for completions that came together; tokens are locked in id order, so two
   * never deadlock. Each completion journals its outcome for the runs waiting on the token and
   * makes them ready (`complete` in db/sql/waitpoints.ts); the few it cannot are woken by job.
   */
  async #settle(items: { id: string; output: Stored }[]): Promise<Settled[]> {
    const { db, sql, channels, localStarts } = this.deps;
    const order = items.map((_, i) => i).sort((a, b) => (items[a]!.id < items[b]!.id ? -1 : items[a]!.id > items[b]!.id ? 1 : 0));
    const taskIds = [...(localStarts?.taskIds ?? [])];
    let reserved = 0;
    const started: ClaimedRow[] = [];
    try {
      const results = await db.transaction(async (client) => {
        const results: Settled[] = new Array(items.length);
        const woken: string[] = [];
        for (const i of order) {
          const { id, output } = items[i]!;
          // What the run would journal itself on waking (recorder.awaitToken): the same bytes.
          const outcome = encode({ ok: true, output: decode(output) }, "waitpoint outcome");
          const slots = localStarts?.reserve(LOCAL_RESUMES) ?? 0;
          reserved += slots;
          const leases = Array.from({ length: slots }, () => randomUUID());
          const completed = await db.query<{ run_ids: string[]; resumed: string[]; started: Record<string, unknown>[] }>(
            sql.waitpoints.complete, [id, output, outcome, channels.run, channels.wake, taskIds, leases], client);
          const row = completed.rows[0];
          if (row) {
            const resumed = new Set(row.resumed);
            woken.push(...row.run_ids.filter((runId) => !resumed.has(runId)));
            started.push(...row.started.map(claimedFromJson));
            results[i] = "settled";
            continue;
          }
          const { rows } = await db.query<WaitpointRow>(sql.waitpoints.get, [id], client);
          results[i] = !rows[0] ? "not-found" : rows[0].status === "TIMED_OUT" ? "TIMED_OUT" : "COMPLETED";
        }
        await wakeRuns({ db, sql, scheduler: this.deps.scheduler, wakeChannel: channels.wake }, client, woken);
        return results;
      });
      localStarts?.started(reserved, started, false);
      return results;
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
