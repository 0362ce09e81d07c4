import type { Backend } from "../backend-types.ts";
import type { PurgeResult } from "../types.ts";
import type { EngineHttp } from "./request.ts";

/** `runs.purge` over HTTP: `POST /api/runs/purge`. */
export function purgeCalls(http: EngineHttp): Pick<Backend, "purgeRuns"> {
  return {
    purgeRuns: (options) => http.json<PurgeResult>("POST", "/api/runs/purge", { body: options }),
  };
}
