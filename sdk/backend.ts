import { DurablyError } from "./errors.ts";
import { httpBackend } from "./http/backend.ts";
import type { Backend } from "./backend-types.ts";

export type { Backend, PublicTokenOptions, RunUpdate, SendEventRequest, TriggerPublicTokenOptions, TriggerRequest } from "./backend-types.ts";

/** Where `tasks`, `runs`, `schedules`, `auth` and clients without a `databaseUrl` find the engine. */
export interface ConfigureOptions {
  /** PostgreSQL, reached directly (default `DATABASE_URL`): a small pool, nothing else until asked. */
  databaseUrl?: string | undefined;
  /** A direct connection for LISTEN when `databaseUrl` is a pooler in transaction mode (default `DATABASE_DIRECT_URL`). */
  directUrl?: string | undefined;
  /** Postgres schema holding durably's tables (default `durably`). */
  schema?: string | undefined;
  /** A running engine's HTTP API (`durably start`), for apps that cannot reach the database. */
  baseUrl?: string | undefined;
  /** With `baseUrl`: the engine's secret key (not needed by an engine in dev mode). Directly: signs public access tokens. */
  secretKey?: string | undefined;
  /** Directly: the engine's public address, for waitpoint callback URLs (default `DURABLY_PUBLIC_URL`). */
  publicUrl?: string | undefined;
}

let configured: ConfigureOptions | undefined;
let explicit: Backend | undefined;
let fromConfig: Promise<Backend> | undefined;

/** Points `tasks`, `runs`, `schedules`, `auth` and clients without a `databaseUrl` at an engine. */
export function configure(options: ConfigureOptions): void {
  if (options.baseUrl !== undefined && (options.databaseUrl !== undefined || options.directUrl !== undefined || options.schema !== undefined)) {
    throw new DurablyError("INVALID_OPTIONS", "configure() takes baseUrl (an engine over HTTP) or databaseUrl, directUrl and schema (the database directly), not both");
  }
  configured = options;
  void disconnect();
}

/** Closes the configured backend, if one was opened; the next call opens one again. */
export async function disconnect(): Promise<void> {
  const previous = fromConfig;
  fromConfig = undefined;
  await previous?.then((backend) => backend.close(), () => undefined);
}

/** Used by an in-process engine so triggering needs no extra configuration. */
export function setDefaultBackend(backend: Backend | undefined): void {
  explicit = backend;
}

export function hasDefaultBackend(): boolean {
  return explicit !== undefined;
}

export async function connectBackend(options: ConfigureOptions): Promise<Backend> {
  if (options.baseUrl !== undefined) return httpBackend({ baseUrl: options.baseUrl, ...(options.secretKey ? { secretKey: options.secretKey } : {}) });
  // The SDK's one way into engine code, loaded on first use: a process that never triggers never
  // opens a pool, and one that talks HTTP never loads pg.
  const direct = await import("../engine/backends/direct.ts");
  return direct.connect(options);
}

export function getBackend(): Promise<Backend> {
  if (explicit && !configured) return Promise.resolve(explicit);
  if (!fromConfig) {
    const attempt = connectBackend(configured ?? {});
    // A failed connect (the database was down) is not kept: the next call tries again.
    attempt.catch(() => fromConfig === attempt && (fromConfig = undefined));
    fromConfig = attempt;
  }
  return fromConfig;
}

/**
 * Inside a run: the engine executing it, whatever `configure()` says, so a child run links to its
 * parent (an HTTP backend could not say which run is asking).
 */
export function getRunBackend(): Promise<Backend> {
  return explicit ? Promise.resolve(explicit) : getBackend();
}
