// One chaos worker process: an engine running the chaos task until it is killed (or SIGTERMed).
import { createEngine } from "durably/engine";
import { chaosTask } from "./chaos-task.ts";

const [databaseUrl, schema, sideTable, worker, concurrency] = process.argv.slice(2) as [string, string, string, string, string];
const { chaos, close } = chaosTask(databaseUrl, sideTable, worker);
const engine = createEngine({
  databaseUrl,
  schema,
  tasks: [chaos],
  logLevel: "warn",
  concurrency: Number(concurrency),
  poolSize: Number(concurrency) + 2,
  pollIntervalMs: 250,
  heartbeatSeconds: 10,
  recoverySeconds: 1,
  shutdownTimeoutMs: 2_000,
});
await engine.start();
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  void engine.stop().then(close).then(() => process.exit(0));
});
