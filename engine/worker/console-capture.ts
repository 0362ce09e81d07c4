import { format } from "node:util";
import { currentScope } from "../../sdk/context.ts";
import type { RunLogLevel } from "../../wire/index.ts";

const METHODS = ["debug", "log", "info", "warn", "error"] as const satisfies readonly RunLogLevel[];

let holders = 0;
let originals: Pick<Console, (typeof METHODS)[number]> | undefined;

/**
 * While held, `console.debug/log/info/warn/error` called by a run's code is stored in that run's
 * logs (formatted as console formats it) instead of written out; outside a run, console works as
 * before. Engines in one process share the patch; the last to let go restores console.
 */
export function captureConsole(): () => void {
  if (holders++ === 0) {
    const saved = { debug: console.debug, log: console.log, info: console.info, warn: console.warn, error: console.error };
    originals = saved;
    for (const method of METHODS) {
      console[method] = (...args: unknown[]) => {
        const scope = currentScope();
        if (scope) scope.log(method, format(...args));
        else saved[method].apply(console, args);
      };
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0 && originals) {
      Object.assign(console, originals);
      originals = undefined;
    }
  };
}
