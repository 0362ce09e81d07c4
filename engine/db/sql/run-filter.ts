/**
 * The metadata filter: the key alone (or with an empty value, as a cleared input sends it) selects
 * every run whose metadata has the key, whatever its value; with a value, runs whose value reads
 * as that text (`->>`). The dashboard's live updates (`runMatchesFilters`,
 * react/client/cache-updates.ts) read the filter the same way, and so do the run lists
 * (run-list.ts), which write only the conditions of the fields given.
 */
const metadataMatches = (key: string, value: string) =>
  `(r.metadata ? ${key} AND (coalesce(${value}::text, '') = '' OR r.metadata ->> ${key} = ${value}))`;

/**
 * The run lists' filter on runs aliased `r`, as one statement for every combination: $1 statuses,
 * $2 task, $3 tag, $4 event, $5/$6 created from/to, $7/$8 metadata key/value. The bulk actions act
 * by it, once per action; a list's page, asked for again and again, uses run-list.ts instead.
 */
export const runFilter = `($1::text[] IS NULL OR r.status = ANY($1))
        AND ($2::text IS NULL OR r.task_id = $2)
        AND ($3::text IS NULL OR r.tags @> ARRAY[$3::text])
        AND ($4::text IS NULL OR r.event_id = $4)
        AND ($5::timestamptz IS NULL OR r.created_at >= $5)
        AND ($6::timestamptz IS NULL OR r.created_at < $6)
        AND ($7::text IS NULL OR ${metadataMatches("$7", "$8")})`;
