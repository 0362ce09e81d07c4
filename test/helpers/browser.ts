import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { build } from "vite";
import react from "@vitejs/plugin-react";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

/** Serves a built page from a folder, the way a customer's own web server would. */
export async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = join(dir, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Builds a React page (its folder holds index.html) with `durably/react` from the sources, into
 * test-output/<name>, and serves it as a customer's web server would.
 */
export async function buildAndServePage(root: string, name: string): Promise<{ url: string; close(): Promise<void> }> {
  const outDir = fileURLToPath(new URL(`../../test-output/${name}`, import.meta.url));
  await build({
    root,
    logLevel: "warn",
    plugins: [react()],
    resolve: {
      alias: [{ find: /^durably\/react$/, replacement: fileURLToPath(new URL("../../react/index.ts", import.meta.url)) }],
      dedupe: ["react", "react-dom"],
    },
    build: { outDir, emptyOutDir: true },
  });
  return serveFolder(outDir);
}
