import { z } from "zod";
import { NotConfiguredError } from "../sdk/errors.ts";

const schemaName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,40}$/, "schema must be a lower-case SQL identifier of at most 41 characters");

/**
 * pg reads any other string as a path relative to `postgres://base` and fails later with
 * "getaddrinfo ENOTFOUND base"; say what is wrong instead (without echoing a password).
 */
const databaseUrl = z
  .string()
  .regex(/^(postgres(ql)?:|socket:|\/)/i, "must be a postgres:// URL (DATABASE_URL or databaseUrl)");

const optionsSchema = z.object({
  databaseUrl: databaseUrl.optional(),
  schema: schemaName.default("durably"),
  /** Runs executed at once by this process. */
  concurrency: z.number().int().min(1).max(1000).default(10),
  maxMetadataBytes: z.number().int().min(2).default(4096),
  maxPayloadBytes: z.number().int().min(2).default(512 * 1024),
  /** How often an idle worker looks for due work when no notification arrives. */
  pollIntervalMs: z.number().int().min(50).default(1000),
  /** A worker silent for this long is presumed dead and its runs are handed to another. */
  heartbeatSeconds: z.number().int().min(10).default(10),
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
    })
    .optional(),
  secretKey: z.string().min(16, "must be at least 16 characters (DURABLY_SECRET_KEY or secretKey)").optional(),
  /** Accept requests without a key: for local development only. */
  devMode: z.boolean().default(false),
  worker: z.boolean().default(true),
});

export type EngineOptionsInput = z.input<typeof optionsSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema> & { databaseUrl: string };

/** The one place environment variables are read. */
export function resolveOptions(input: EngineOptionsInput, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const withEnv = {
    ...input,
    databaseUrl: input.databaseUrl ?? env.DATABASE_URL,
    secretKey: input.secretKey ?? env.DURABLY_SECRET_KEY,
    schema: input.schema ?? env.DURABLY_SCHEMA,
  };
  const parsed = optionsSchema.safeParse(withEnv);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid durably options: ${detail}`, { cause: parsed.error });
  }
  if (!parsed.data.databaseUrl) throw new NotConfiguredError();
  return { ...parsed.data, databaseUrl: parsed.data.databaseUrl };
}
