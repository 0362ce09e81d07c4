import type { TriggerOptions } from "durably/react";
import { isPlainObject, parseJsonInput } from "../../lib/json.ts";

/** The trigger options as typed into the form, before they are checked. */
export interface OptionInputs {
  tags: string;
  metadata: string;
  idempotencyKey: string;
  delay: string;
}

export const EMPTY_OPTION_INPUTS: OptionInputs = { tags: "", metadata: "", idempotencyKey: "", delay: "" };

export interface OptionErrors {
  metadata?: string;
  delay?: string;
}

export type OptionsParseResult = { ok: true; options: TriggerOptions | undefined } | { ok: false; errors: OptionErrors };

/** The engine's duration syntax (engine/delay.ts): seconds, or a number with a unit. */
const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d|w)?$/;

/** Checks the option fields; blank ones are left out, so a form with none set sends no `options`. */
export function parseTriggerOptions(inputs: OptionInputs): OptionsParseResult {
  const options: TriggerOptions = {};
  const errors: OptionErrors = {};

  const tags = inputs.tags.split(",").map((t) => t.trim()).filter(Boolean);
  if (tags.length > 0) options.tags = tags;

  if (inputs.metadata.trim() !== "") {
    const parsed = parseJsonInput(inputs.metadata);
    if (!parsed.ok) errors.metadata = `Invalid JSON: ${parsed.message}`;
    else if (!isPlainObject(parsed.value)) errors.metadata = "Metadata must be a JSON object, such as {\"user\": {\"name\": \"Ada\"}}.";
    else options.metadata = parsed.value;
  }

  const key = inputs.idempotencyKey.trim();
  if (key !== "") options.idempotencyKey = key;

  const delay = inputs.delay.trim();
  if (delay !== "") {
    if (DURATION.test(delay)) options.delay = delay;
    else errors.delay = "Give seconds (90) or a duration such as 30s, 5m, 2h or 1d.";
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, options: Object.keys(options).length > 0 ? options : undefined };
}

/** How many of the fields inside the Options disclosure are filled, to say so while it is closed. */
export function countHiddenOptions(inputs: OptionInputs): number {
  return [inputs.metadata, inputs.idempotencyKey, inputs.delay].filter((value) => value.trim() !== "").length;
}
