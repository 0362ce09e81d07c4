/**
 * `runs.metadata_search`, the copy of a run's metadata that the metadata filters find runs by
 * through their GIN index (migration 46; `runConditions` in ./run-list.ts): the metadata whenever
 * the run is not EXECUTING. A write that leaves the run executing keeps the copy as it was, so
 * no index of runs sees a change and the update stays HOT; one that ends or suspends the execution
 * copies the metadata `after` it, in its own row version. The migration's trigger would make the
 * copy otherwise, in a second version of the row.
 */
export const searchedMetadata = (run: string, status: string, after: string) =>
  `CASE WHEN ${status} = 'EXECUTING' THEN ${run}.metadata_search ELSE ${after} END`;
