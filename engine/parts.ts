import type { Database } from "./db/database.ts";
import type { Statements } from "./db/sql/index.ts";
import type { Logger } from "./logger.ts";
import type { EngineMetrics } from "./metrics/engine-metrics.ts";
import type { CommittedEntries } from "./notify/committed-entries.ts";
import type { Channels, Listener } from "./notify/listener.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Service } from "./runs-api.ts";

/** The parts of a running engine other modules (HTTP, CLI) build on. */
export interface EngineParts {
  options: ResolvedOptions;
  db: Database;
  sql: Statements;
  service: Service;
  listener: Listener;
  entries: CommittedEntries;
  logger: Logger;
  channels: Channels;
  metrics: EngineMetrics;
}
