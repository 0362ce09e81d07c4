/** A jsonb parameter: node-postgres would send a string as text and an array as a Postgres array. */
export function jsonParam(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
