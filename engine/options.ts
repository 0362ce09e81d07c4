import { retentionMs } from "../sdk/retention.ts";
import { z } from "zod";
import { NotConfiguredError } from "../sdk/errors.ts";
import { ALERT_EVENTS } from "./alerts/alert-events.ts";

const schemaName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,40}$/, "schema must be a lower-case SQL identifier of at most 41 characters");

/**
 * pg reads any other string as a path relative to `postgres://base` and fails later with
 * "getaddrinfo ENOTFOUND base"; say what is wrong instead (without echoing a password).
 */
const postgresUrl = (names: string) => z.string().regex(/^(postgres(ql)?:|socket:|\/)/i, `must be a postgres:// URL (${names})`);

/** What an engine process does; N `worker` and M `api` processes can share one database. */
export const ROLES = ["all", "worker", "api"] as const;
export type Role = (typeof ROLES)[number];

/** Bounds on what HTTP clients may hold: connections, memory, time. */
export const httpLimits = z.object({
  /** A request whose headers and body have not all arrived by then is cut (408). */
  requestTimeoutMs: z.number().int().min(100).default(30_000),
  /** Request bodies read at once; more get a 503 (each may hold up to 1 MB). */
  bodiesInFlight: z.number().int().min(1).default(32),
  /** Open SSE streams in this process; more get a 429. */
  streams: z.number().int().min(1).default(1000),
  /** Open SSE streams per public token; more get a 429. */
  streamsPerToken: z.number().int().min(1).default(32),
});

const optionsSchema = z.object({
  databaseUrl: postgresUrl("DATABASE_URL or databaseUrl").optional(),
  /**
   * A direct connection to PostgreSQL when `databaseUrl` goes through a pooler in transaction
   * mode (PgBouncer, Supabase, Neon): LISTEN and migrations need a session of their own.
   */
  directUrl: postgresUrl("DATABASE_DIRECT_URL or directUrl").optional(),
  /**
   * `worker` executes runs and serves no HTTP; `api` serves the HTTP API, SSE and dashboard and
   * executes nothing; `all` does both.
   */
  role: z.enum(ROLES).default("all"),
  schema: schemaName.default("durably"),
  /** Runs executed at once by this process. */
  concurrency: z.number().int().min(1).max(1000).default(10),
  maxMetadataBytes: z.number().int().min(2).default(4096),
  maxPayloadBytes: z.number().int().min(2).default(512 * 1024),
  /** Limits on realtime streams (docs/streams.md), in bytes of each chunk's JSON text. */
  streams: z
    .object({
      maxChunkBytes: z.number().int().min(2).default(64 * 1024),
      maxStreamBytes: z.number().int().min(2).default(16 * 1024 * 1024),
    })
    .prefault({}),
  /**
   * Finished runs are purged this long after they finished (a task's own `retention` wins): seconds
   * or a duration like "30d", or `{ runs: "30d", keepStatusHistory: "1y" }` to keep the purged
   * runs' status and metadata history longer. Unset, runs are kept for ever. Resolved to ms.
   */
  retention: z
    .union([z.number(), z.string(), z.object({ runs: z.union([z.number(), z.string()]).optional(), keepStatusHistory: z.union([z.number(), z.string()]).optional() }).strict()])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return { runsMs: undefined, keepHistoryMs: undefined };
      try {
        return retentionMs(value, "retention");
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** How often an idle worker looks for due work when no notification arrives. */
  pollIntervalMs: z.number().int().min(50).default(1000),
  /**
   * A worker silent for this long is presumed dead and its runs are handed to another. Under 10 s
   * (tests) it holds for runs claimed without a pg-boss job; pg-boss keeps 10 s for the others.
   */
  heartbeatSeconds: z.number().int().min(1).default(10),
  /** How often the supervisor looks for runs of dead workers. */
  recoverySeconds: z.number().int().min(1).default(5),
  /** Bound on how long `stop()` waits for in-flight io calls before handing runs back. */
  shutdownTimeoutMs: z.number().int().min(0).default(10_000),
  poolSize: z.number().int().min(2).default(20),
  logLevel: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  http: z
    .object({
      port: z.number().int().min(0).max(65535),
      host: z.string().default("127.0.0.1"),
      /** Built dashboard files to serve at `/`; default: the package's dashboard/dist. */
      dashboardDir: z.string().optional(),
      limits: httpLimits.prefault({}),
    })
    .optional(),
  secretKey: z.string().min(16, "must be at least 16 characters (DURABLY_SECRET_KEY or secretKey)").optional(),
  /** The address others reach this engine's HTTP API at, for waitpoint callback URLs (default: its own). */
  publicUrl: z.string().regex(/^https?:\/\/[^/]/, "must be an http(s) URL (DURABLY_PUBLIC_URL or publicUrl)").optional(),
  /** Accept requests without a key: for local development only. */
  devMode: z.boolean().default(false),
  /** With role "all", false executes no runs: a process that only triggers and reads them. */
  worker: z.boolean().optional(),
  /** Store what a run's code writes with `console.*` in the run's logs (instead of the process's stdout). */
  captureConsole: z.boolean().default(false),
  /** Webhooks for runs that fail, time out or are canceled, signed with `secret` (docs/observability.md#alerts). */
  alerts: z
    .array(z.object({
      url: z.string().regex(/^https?:\/\/[^/]/, "must be an http(s) URL"),
      events: z.array(z.enum(ALERT_EVENTS)).min(1, `name at least one of ${ALERT_EVENTS.join(", ")}`),
      tasks: z.array(z.string().min(1)).min(1).optional(),
      secret: z.string().min(16, "must be at least 16 characters"),
    }))
    .default([]),
});

/** Refuses a role with a part it does not run, rather than leave that part silently off. */
const withRole = optionsSchema.superRefine((o, ctx) => {
  const refuse = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (o.role === "worker" && o.http) refuse("http", 'role "worker" serves no HTTP; use role "all" to serve it too');
  if (o.role === "worker" && o.worker === false) refuse("worker", 'role "worker" executes runs; use role "api" for a process that does not');
  if (o.role === "api" && !o.http) refuse("http", 'role "api" serves the HTTP API: give http ({ port })');
  if (o.role === "api" && o.worker === true) refuse("worker", 'role "api" executes no runs; use role "all" to execute them too');
});

export type EngineOptionsInput = z.input<typeof optionsSchema>;
export type ResolvedOptions = Omit<z.output<typeof optionsSchema>, "databaseUrl" | "directUrl" | "worker"> & {
  databaseUrl: string;
  /** The URL for LISTEN and migrations: `directUrl`, or `databaseUrl` when there is no pooler. */
  directUrl: string;
  /** `databaseUrl` goes through a pooler (a separate direct URL was given). */
  pooled: boolean;
  /** This process executes runs. */
  worker: boolean;
};

/** The one place environment variables are read. */
export function resolveOptions(input: EngineOptionsInput, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const withEnv = {
    ...input,
    databaseUrl: input.databaseUrl ?? env.DATABASE_URL,
    directUrl: input.directUrl ?? env.DATABASE_DIRECT_URL,
    secretKey: input.secretKey ?? env.DURABLY_SECRET_KEY,
    schema: input.schema ?? env.DURABLY_SCHEMA,
    publicUrl: input.publicUrl ?? env.DURABLY_PUBLIC_URL,
  };
  const parsed = withRole.safeParse(withEnv);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid durably options: ${detail}`, { cause: parsed.error });
  }
  const { databaseUrl, directUrl, worker, ...rest } = parsed.data;
  if (!databaseUrl) throw new NotConfiguredError("engine");
  return {
    ...rest,
    databaseUrl,
    directUrl: directUrl ?? databaseUrl,
    pooled: directUrl !== undefined && directUrl !== databaseUrl,
    worker: worker ?? rest.role !== "api",
  };
}
