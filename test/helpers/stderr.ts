import { afterEach, beforeEach } from "vitest";

/**
 * Everything written to stderr (where the engine's logger writes) during each test of the file
 * that calls this, still passed through; read `logged()` in the test.
 */
export function captureStderr(): { logged(): string } {
  let logged = "";
  const write = process.stderr.write.bind(process.stderr);
  beforeEach(() => {
    logged = "";
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logged += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      return write(chunk as string, ...(rest as []));
    }) as typeof process.stderr.write;
  });
  afterEach(() => {
    process.stderr.write = write;
  });
  return { logged: () => logged };
}
