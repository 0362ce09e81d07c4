// Options an app fills from values that may be undefined (environment variables, props), each
// meaning "not given". The consumer test type-checks this file under exactOptionalPropertyTypes,
// which TypeScript's `tsc --init` turns on: each call must compile there too.
import { auth, Client, configure, runs, schedules, task, tasks, wait, type RunStatus } from "durably";
import { createEngine } from "durably/engine";
import { createHttpClient, DurablyProvider, useRuns, useTriggerTask, useWaitToken } from "durably/react";
import { greet } from "./tasks.js";

declare const text: string | undefined;
declare const count: number | undefined;
declare const status: RunStatus | undefined;
declare const signal: AbortSignal | undefined;

export async function fromBackendCode(): Promise<void> {
  configure({ baseUrl: "http://127.0.0.1:3030", secretKey: process.env.DURABLY_SECRET_KEY });
  configure({ databaseUrl: process.env.DATABASE_URL, directUrl: process.env.DATABASE_DIRECT_URL, schema: text, publicUrl: text });
  await greet.trigger({ name: "Ada" }, { idempotencyKey: text, idempotencyKeyTTL: text, delay: count, ttl: text, tags: text, concurrencyKey: text, maxDuration: count, metadata: undefined });
  await tasks.trigger<typeof greet>("consumer-greet", { name: "Ada" }, { idempotencyKey: text });
  await greet.batchTrigger([{ payload: { name: "Ada" }, options: undefined }]);
  await runs.list({ status, taskIdentifier: text, tag: text, limit: count, cursor: text, from: undefined });
  await runs.poll("run_1", { timeoutMs: count });
  await schedules.create({ task: "consumer-greet", cron: "0 * * * *", deduplicationKey: "hourly", timezone: text, payload: undefined });
  await schedules.list({ task: text });
  await wait.createToken({ timeout: text, idempotencyKey: text, idempotencyKeyTTL: count, tags: text });
  await wait.listTokens({ status: undefined, tags: text, runId: text, limit: count, cursor: text });
  await auth.createPublicToken({ scopes: { read: { runs: ["run_1"], tags: undefined, waitpoints: undefined }, write: undefined }, expiresIn: text });
  await new Client({ id: "app", databaseUrl: process.env.DATABASE_URL, schema: text }).sendEvent({ name: "signed-up", id: text });
}

export const tuned = task({
  id: "consumer-tuned",
  version: text,
  schema: undefined,
  retry: { maxAttempts: count, factor: count, minTimeoutInMs: count, maxTimeoutInMs: count, randomize: undefined },
  queue: { name: text, concurrencyLimit: 2 },
  maxDuration: count,
  schedule: undefined,
  onStart: undefined,
  onSuccess: undefined,
  run: async (_payload: { name: string }, { io }) => {
    const step = await io.runTask("step", () => 1, { retry: { maxAttempts: count }, transaction: undefined, timeout: text });
    await io.createStatus("progress", { label: "Working", state: undefined, data: undefined });
    await wait.for({ seconds: count, minutes: undefined });
    return step;
  },
});

export const engine = createEngine({
  databaseUrl: process.env.DATABASE_URL,
  directUrl: process.env.DATABASE_DIRECT_URL,
  secretKey: process.env.DURABLY_SECRET_KEY,
  publicUrl: process.env.DURABLY_PUBLIC_URL,
  schema: text,
  concurrency: count,
  logLevel: undefined,
  http: { port: 3030, host: text, dashboardDir: text },
  worker: undefined,
  tasks: [greet, tuned],
  clients: undefined,
  hooks: { onStart: undefined },
});

export async function fromTheBrowser(): Promise<void> {
  const api = createHttpClient({ baseUrl: "", accessToken: text, fetch: undefined });
  await api.getRun("run_1", { signal });
  await api.listRuns({ tag: text, cursor: text, limit: count }, { signal });
}

function Approve({ tokenId, token }: { tokenId: string; token: string | undefined }) {
  const { runs: list } = useRuns({ tag: text, taskIdentifier: text, status: undefined, limit: count });
  const trigger = useTriggerTask();
  const approval = useWaitToken(tokenId, { accessToken: token });
  return (
    <button onClick={() => trigger.mutate({ taskId: "consumer-greet", payload: { name: "Ada" }, options: { idempotencyKey: text, delay: count } })}>
      {list?.length ?? 0} {approval.isCompleted ? "done" : "approve"}
    </button>
  );
}

export function App({ token }: { token: string | undefined }) {
  return (
    <DurablyProvider baseUrl={text} accessToken={token} queryClient={undefined}>
      <Approve tokenId="waitpoint_1" token={token} />
    </DurablyProvider>
  );
}
