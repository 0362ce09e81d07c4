/**
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
