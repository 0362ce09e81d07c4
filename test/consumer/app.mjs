// Plain Node ESM in an app that installed the packed durably. Reads of browser globals made from
// durably's own files are recorded: importing and server-rendering must not touch them.
const touched = new Set();
for (const name of ["window", "document", "EventSource"]) {
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      if (/node_modules[\\/]durably[\\/]/.test(new Error().stack ?? "")) touched.add(name);
      return undefined;
    },
  });
}

const sdk = await import("durably");
const { createEngine } = await import("durably/engine");
const { DurablyProvider, useRunStatuses } = await import("durably/react");
const { createElement } = await import("react");
const { renderToString } = await import("react-dom/server");
const { greet } = await import("./build/tasks.js");
const { RunData } = await import("./build/seed-components.js");

const engine = createEngine({ databaseUrl: process.env.DATABASE_URL, schema: process.env.DURABLY_SCHEMA, logLevel: "error", tasks: [greet] });
await engine.start();
try {
  const { id } = await greet.trigger({ name: "Ada" });
  const run = await sdk.runs.poll(id, { timeoutMs: 30_000 });
  const html = renderToString(createElement(DurablyProvider, { baseUrl: "http://127.0.0.1:3030" }, createElement(RunData, { id })));
  const exported = { task: typeof sdk.task, createEngine: typeof createEngine, useRunStatuses: typeof useRunStatuses };
  console.log(JSON.stringify({ exported, status: run.status, output: run.output, metadata: run.metadata, html, touched: [...touched] }));
} finally {
  await engine.stop();
}
