import { fileURLToPath } from "node:url";

const OWN_DIRS = [fileURLToPath(new URL("../../sdk/", import.meta.url)), fileURLToPath(new URL("../", import.meta.url))];

/** The first stack frame in user code: where a diverging io call was made. */
export function userCallSite(stack: string | undefined): string | undefined {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const frame = line.trim().replace(/^at\s+/, "");
    if (frame.startsWith("node:") || frame.includes("node_modules") || frame.includes("(node:")) continue;
    const path = frame.includes("file://") ? frame.replace(/.*file:\/\//, "/").replace(/\)$/, "") : frame;
    if (OWN_DIRS.some((dir) => path.includes(dir) || frame.includes(dir))) continue;
    return frame;
  }
  return undefined;
}
