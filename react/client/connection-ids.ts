/**
 * The event ids of a run connection (docs/http-api.md): the run's position, then each carried
 * stream's `<resets>.<index>`, by place for named streams (`<run>_<p>_<p>`, in the order of
 * `?streams=a,b`) or by key for every stream (`<run>~<key>=<p>~…`, `?streams=*`). The hooks keep
 * each part where it belongs (the run's position, each stream's in its cache entry) and build the
 * id of the next connection from them, so a part can be added or dropped between connections.
 */

/** The run's part of an event id: its position, or "" when the id leaves it to `since`. */
export function runPartOf(id: string): string {
  const end = id.search(/[_~]/);
  return end < 0 ? id : id.slice(0, end);
}

/** The position at `place` (1 for the first stream of `?streams=`) of a named streams' id. */
export function namedPositionOf(id: string, place: number): string {
  return id.split("_")[place] ?? "";
}

/** A stream's position in an every-stream id; "0.0" (its first chunk) when it is not there. */
export function keyedPositionOf(id: string, key: string): string {
  const prefix = `~${key}=`;
  const start = id.indexOf(prefix);
  if (start < 0) return "0.0";
  const end = id.indexOf("~", start + prefix.length);
  return id.slice(start + prefix.length, end < 0 ? undefined : end);
}

/** The id named streams resume from; null for a first connection (no position anywhere). */
export function namedStreamsId(runPart: string | null, positions: (string | null)[]): string | null {
  if (runPart === null && positions.every((position) => position === null)) return null;
  return `${runPart ?? ""}${positions.map((position) => `_${position ?? "0.0"}`).join("")}`;
}

/** The id every stream resumes from: a stream left out (none held yet) starts at its first chunk. */
export function allStreamsId(runPart: string | null, positions: [key: string, position: string | null][]): string | null {
  const held = positions.filter(([, position]) => position !== null && position !== "0.0");
  if (runPart === null && held.length === 0) return null;
  return `${runPart ?? ""}${held.map(([key, position]) => `~${key}=${position}`).join("")}`;
}
