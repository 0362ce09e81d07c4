import { fileURLToPath } from "node:url";
import { build } from "vite";
import type { Browser, BrowserContext } from "playwright-core";
import type { Client } from "durably";
import { createEngine, type Engine, type EngineOptions } from "durably/engine";
import { launchChromium } from "./browser.ts";
import { dropSchemas, TEST_DATABASE_URL, uniqueSchema } from "./db.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export interface DashboardUnderTest {
  engine: Engine;
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * The dashboard built into a folder of its own (so that `npm start` or another browser test
 * rebuilding theirs in parallel cannot empty it), served by an engine on a schema of its own, and
 * a Chromium context to open it in.
 */
export async function startDashboard(
  name: string,
  options: {
    clients?: Client[]; tasks: EngineOptions["tasks"]; secretKey: string; viewport?: { width: number; height: number };
    /** A schema an earlier deploy (another engine) already wrote to; dropped on close all the same. */
    schema?: string;
  },
): Promise<DashboardUnderTest> {
  const dashboardDir = here(`../../test-output/${name}-dist`);
  await build({ configFile: here("../../dashboard/vite.config.ts"), logLevel: "warn", build: { outDir: dashboardDir, emptyOutDir: true } });
  const schema = options.schema ?? uniqueSchema(name.replace(/-/g, "_"));
  const engine = createEngine({
    databaseUrl: TEST_DATABASE_URL,
    schema,
    logLevel: "error",
    pollIntervalMs: 200,
    clients: options.clients ?? [],
    tasks: options.tasks,
    http: { port: 0, dashboardDir },
    secretKey: options.secretKey,
  });
  await engine.start();
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
    return {
      engine,
      context,
      async close() {
        await context.close();
        await browser?.close();
        await engine.stop();
        await dropSchemas(schema);
      },
    };
  } catch (error) {
    await browser?.close();
    await engine.stop();
    await dropSchemas(schema);
    throw error;
  }
}
