/**
 * How a journal row keeps its values since migrations 39 and 40: what most entries hold is left
 * out of the row (NULL), and the statements read it back through these.
 *
 * A journal entry's output: `output_json` (json, the text the engine wrote) for entries written
 * since migration 39, `output` (jsonb) for those written before, which no statement rewrites (a
 * rewrite of the journal would not be online). At most one of the two is set.
 */

/**
 * The output as json, for statements that hand it on as text (replay, the change feed). `to_json`
 * prints an old entry's jsonb as a cast would, without the cast's second pass that checks the
 * printed text is JSON: 15–20% of a 10,000-entry replay's statement.
 */
export const entryOutput = (j: string) => `coalesce(${j}.output_json, to_json(${j}.output))`;

/** The output as jsonb, for statements that look inside it or hash its canonical form. */
export const entryOutputJsonb = (j: string) => `coalesce(${j}.output, ${j}.output_json::jsonb)`;

/**
 * An entry's attempts, NULL in a row for the usual one (migration 40). `attempts_before_retry` is
 * likewise NULL for 0 until a manual retry sets it, which replay reads as 0 (journal/recorded-call.ts).
 */
export const entryAttempts = (j: string) => `coalesce(${j}.attempts, 1)`;
