/** Statements on `batches` (the runs one `batchTrigger` started) and `spent_tokens`. `s` is the quoted schema. */
export function batchStatements(s: string) {
  return {
    /** In the transaction that inserted the runs. A keyed batch made again finds its row there already, with the same runs. */
    insert: `INSERT INTO ${s}.batches (id, run_ids) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
    runIds: `SELECT run_ids FROM ${s}.batches WHERE id = $1`,
    /** Whether run $2 belongs to batch $1: what a token scoped to the batch may read. */
    contains: `SELECT 1 FROM ${s}.batches WHERE id = $1 AND $2 = ANY(run_ids)`,
    /**
     * No row when the token was spent already. Tokens past their expiry are refused before they
     * get here, so their rows are dropped on the way: the table holds only live tokens.
     */
    spendToken: `
      WITH expired AS (DELETE FROM ${s}.spent_tokens WHERE expires_at < now() - interval '5 minutes')
      INSERT INTO ${s}.spent_tokens (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id`,
  };
}
