import { sep } from "node:path";
import { packagePath } from "../package-root.ts";

// dist/ when run built; sdk/ and engine/ when run from sources, or built with source-mapped stacks.
const OWN_DIRS = ["sdk", "engine", "dist"].map((dir) => packagePath(dir) + sep);

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
