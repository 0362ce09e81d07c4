import path from "node:path";
import { pathToFileURL } from "node:url";
import { RESULT_PREFIX, type Row } from "./row.ts";

/**
 * Runs one benchmark file in a process of its own (clean RSS, no JIT or pool state carried over
 * from the previous benchmark) and hands its rows back to bench/run.ts on stdout.
 */
const [file] = process.argv.slice(2);
const url = process.env.BENCH_DATABASE_URL;
if (file && url) {
  const module = (await import(pathToFileURL(path.resolve(file)).href)) as { default: (url: string) => Promise<Row[]> };
  const rows = await module.default(url);
  process.stdout.write(RESULT_PREFIX + JSON.stringify(rows) + "\n");
  process.exit(0);
}
