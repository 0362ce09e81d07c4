import type { z } from "zod";
import type { TriggerRequest } from "../../sdk/backend.ts";
import type { TriggerOptions } from "../../sdk/types.ts";
import type { Access } from "../auth/access.ts";
import { ForbiddenError, createPublicToken, type TokenSigner } from "../auth/tokens.ts";
import type { Service } from "../runs-api.ts";
import { TRIGGER_TOKEN_OPTIONS, type triggerBody } from "./bodies.ts";

interface PublicTriggerDeps {
  service: Service;
  signer: TokenSigner;
  triggerOf: (taskId: string) => (item: { payload?: unknown; options?: TriggerOptions | undefined }) => TriggerRequest;
}

/**
 * A trigger from a browser holding a trigger token (`useTaskTrigger`): the token's task only, and
 * options that reach no other run. A single-use token is spent, committed, before the run is
 * triggered, so a replayed request (another tab, a retry after a lost answer, a crash in between)
 * never starts a second run. The answer carries a token that reads the new run only
 * (`useRealtimeTaskTrigger` follows it), expiring with the trigger token.
 */
export async function publicTrigger(
  access: Extract<Access, { kind: "public" }>, taskId: string, body: z.infer<typeof triggerBody>, deps: PublicTriggerDeps,
): Promise<{ id: string; isCached: false; publicAccessToken: string }> {
  const grant = access.trigger;
  if (!grant) throw new ForbiddenError("Triggering a task needs the secret key or a trigger token (auth.createTriggerPublicToken)");
  if (grant.taskId !== taskId) throw new ForbiddenError(`This trigger token is for task "${grant.taskId}"`);
  const refused = Object.keys(body.options ?? {}).filter((key) => !TRIGGER_TOKEN_OPTIONS.has(key));
  if (refused.length > 0) {
    throw new ForbiddenError(`A trigger token may not set ${refused.join(", ")}; it may set ${[...TRIGGER_TOKEN_OPTIONS].join(", ")}`);
  }
  const request = deps.triggerOf(taskId)(body);
  if (!grant.multipleUse && !(await deps.service.spendToken(grant.tokenId, new Date(access.expiresAt)))) {
    throw new ForbiddenError("This trigger token was used already: it starts one run (multipleUse: false)");
  }
  const { id } = await deps.service.trigger(request);
  const seconds = Math.max(1, Math.floor((access.expiresAt - Date.now()) / 1000));
  return { id, isCached: false, publicAccessToken: await createPublicToken(deps.signer, { scopes: { read: { runs: [id] } }, expiresIn: seconds }) };
}
