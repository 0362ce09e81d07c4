import type { Backend, ConfigureOptions } from "../../sdk/backend.ts";
import { NotConfiguredError } from "../../sdk/errors.ts";
import { Database } from "../db/database.ts";
import { checkInstalled } from "../db/installed.ts";
import { buildStatements } from "../db/sql/index.ts";
import { rethrowUnreachable } from "../db/unreachable.ts";
import { createLogger, type Logger } from "../logger.ts";
import { channelsOf, Listener } from "../notify/listener.ts";
import { resolveOptions, type ResolvedOptions } from "../options.ts";
import { lazyJobSender } from "./lazy-jobs.ts";
import { Service } from "../runs-api.ts";
import { loadOtelApi } from "../../sdk/tracing/otel-api.ts";

/** Enough for a web backend's triggers and reads; a burst of triggers shares one transaction anyway. */
const POOL_SIZE = 5;

/**
 * A backend for a process that triggers and reads runs but executes none (a web backend):
 * a small pool, and nothing else until asked. It runs no migration and starts no pg-boss: the job
 * of a delayed run, a ttl or a retry is sent on the trigger's own transaction, by a pg-boss loaded
 * for that and never started. The LISTEN connection opens on the first `pollRun`. The schema is
 * checked once, here, on the first call that needed a backend.
 */
export async function connect(options: ConfigureOptions): Promise<Backend> {
  const o = clientOptions(options);
  const logger = createLogger(o.logLevel, { component: "durably-client" });
  const db = new Database(o.databaseUrl, POOL_SIZE, logger, { namedStatements: !o.pooled, exitOnIdle: true });
  try {
    await loadOtelApi();
    await checkInstalled(db, o.schema, o.databaseUrl).catch(rethrowUnreachable(o.databaseUrl));
  } catch (error) {
    await db.end();
    throw error;
  }
  let listener: Promise<Listener> | undefined;
  const listen = () => {
    const started = startListener(o.directUrl, logger);
    // A failed start is not kept: the next poll tries again.
    started.catch(() => listener === started && (listener = undefined));
    return started;
  };
  return new Service({
    db, sql: buildStatements(o.schema), channels: channelsOf(o.schema), schema: o.schema,
    scheduler: lazyJobSender(async () => {
      const { Scheduler } = await import("../jobs/pg-boss.ts");
      return Scheduler.sendOnly(db.pool, { databaseUrl: o.databaseUrl, schema: o.schema, heartbeatSeconds: o.heartbeatSeconds, recoverySeconds: o.recoverySeconds }, logger);
    }),
    maxMetadataBytes: o.maxMetadataBytes, maxPayloadBytes: o.maxPayloadBytes, secretKey: o.secretKey,
    publicUrl: () => o.publicUrl,
    listener: () => (listener ??= listen()),
    close: async () => {
      await (await listener?.catch(() => undefined))?.stop();
      await db.end();
    },
  });
}

function clientOptions(options: ConfigureOptions): ResolvedOptions {
  const { databaseUrl, directUrl, schema, secretKey, publicUrl } = options;
  try {
    return resolveOptions({ databaseUrl, directUrl, schema, secretKey, publicUrl, worker: false, logLevel: "warn" });
  } catch (error) {
    // resolveOptions speaks to createEngine(); this caller configured a client.
    if (error instanceof NotConfiguredError) throw new NotConfiguredError("client");
    throw error;
  }
}

async function startListener(url: string, logger: Logger): Promise<Listener> {
  const listener = new Listener(url, logger, { holdsProcess: false });
  await listener.start().catch(rethrowUnreachable(url));
  return listener;
}
