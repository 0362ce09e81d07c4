import type { Hono } from "hono";
import { z } from "zod";
import type { Definition } from "../../sdk/definition.ts";
import { requireFull, type Access } from "../auth/access.ts";
import { planRepair } from "../check/repair.ts";
import type { EngineParts } from "../parts.ts";
import { HttpError } from "./http-errors.ts";
import type { BodyReader } from "./read-body.ts";

type Env = { Variables: { access: Access } };

const repairBody = z
  .object({ runs: z.array(z.object({ runId: z.string().min(1).max(256), fromSeq: z.number().int().min(1) }).strict()).min(1).max(500) })
  .strict();

/**
 * Repair from the first divergence (`durably check --repair` for the dashboard): the plan replays
 * the task's failed runs against the code this engine holds; the fork forks each confirmed run
 * from its own step. Secret key only.
 */
export function repairRoutes(app: Hono<Env>, parts: EngineParts, definitions: readonly Definition[], readBody: BodyReader): void {
  app.get("/api/tasks/:id/repair", async (c) => {
    requireFull(c.get("access"), "A repair plan");
    return c.json(await planRepair(parts.db, parts.sql, definitions, { taskId: c.req.param("id") }));
  });
  app.post("/api/tasks/:id/repair", async (c) => {
    requireFull(c.get("access"), "A repair");
    const taskId = c.req.param("id");
    const { runs } = await readBody(c, repairBody);
    // Checked before any fork: a run of another task is refused with nothing done.
    for (const { runId } of runs) {
      const run = await parts.service.retrieveRun(runId);
      if (run.taskIdentifier !== taskId) throw new HttpError(400, "INVALID_REQUEST", `Run ${runId} is a run of ${run.taskIdentifier}, not ${taskId}`);
    }
    const forks: { runId: string; fromSeq: number; forkId: string }[] = [];
    for (const { runId, fromSeq } of runs) forks.push({ runId, fromSeq, forkId: (await parts.service.forkRun(runId, { fromSeq })).id });
    return c.json({ forks });
  });
}
