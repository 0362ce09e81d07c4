import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { packagePath } from "../package-root.ts";

const DEFAULT_DIST = packagePath("dashboard", "dist");
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".ico": "image/x-icon",
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>durably</title>
<body style="font-family:system-ui;margin:3rem"><h1>durably</h1>
<p>The dashboard is not built. Run <code>npm run build:dashboard</code> (or <code>npm start</code>, which builds it).</p>
<p>The API is up at <a href="/api/runs">/api/runs</a>.</p></body>`;

/** The dashboard's built files; unknown paths get index.html so client-side routes work. */
export async function dashboardFile(path: string, dir = DEFAULT_DIST): Promise<{ body: Buffer | string; type: string; status: number }> {
  const root = dir.endsWith(sep) ? dir : dir + sep;
  const relative = normalize(path).replace(/^(\.\.[/\\])+/, "").replace(/^[/\\]+/, "");
  const candidates = relative && extname(relative) ? [join(root, relative)] : [join(root, "index.html")];
  for (const file of candidates) {
    if (!file.startsWith(root)) break;
    try {
      return { body: await readFile(file), type: TYPES[extname(file)] ?? "application/octet-stream", status: 200 };
    } catch {
      // fall through to the not-built page or a 404
    }
  }
  if (extname(relative)) return { body: "Not found", type: "text/plain", status: 404 };
  return { body: NOT_BUILT, type: TYPES[".html"]!, status: 200 };
}
