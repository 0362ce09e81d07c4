import { alertStatements } from "./alerts.ts";
import { auditStatements } from "./audit.ts";
import { batchStatements } from "./batches.ts";
import { bossSchemaOf, RUN_QUEUE } from "../../jobs/job-sender.ts";
import { bulkStatements } from "./bulk.ts";
import { eventStatements } from "./events.ts";
import { feedStatements } from "./feed.ts";
import { journalStatements } from "./journal.ts";
import { keptHistoryStatements } from "./kept-histories.ts";
import { logStatements } from "./logs.ts";
import { metadataStatements } from "./metadata.ts";
import { metricsStatements } from "./metrics.ts";
import { overviewStatements } from "./overview.ts";
import { retentionStatements } from "./retention.ts";
import { queueStatements } from "./queues.ts";
import { runListStatements } from "./run-list.ts";
import { runStatements } from "./runs.ts";
import { scheduleStatements } from "./schedules.ts";
import { statusStatements } from "./statuses.ts";
import { streamStatements } from "./streams.ts";
import { waitpointStatements } from "./waitpoints.ts";

/** Every SQL statement durably runs, by table, for one schema. */
export function buildStatements(schema: string) {
  const s = `"${schema}"`;
  return {
    runs: runStatements(s),
    queues: queueStatements(s),
    runList: runListStatements(s),
    alerts: alertStatements(s),
    journal: journalStatements(s),
    statuses: statusStatements(s),
    events: eventStatements(s),
    metadata: metadataStatements(s),
    metrics: metricsStatements(s),
    schedules: scheduleStatements(s),
    feed: feedStatements(s),
    waitpoints: waitpointStatements(s),
    logs: logStatements(s),
    batches: batchStatements(s),
    overview: overviewStatements(s),
    streams: streamStatements(s),
    bulk: bulkStatements(s),
    retention: retentionStatements(s, `"${bossSchemaOf(schema)}"`, RUN_QUEUE),
    audit: auditStatements(s),
    keptHistories: keptHistoryStatements(s),
  };
}

export type Statements = ReturnType<typeof buildStatements>;
