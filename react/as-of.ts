import type { MetadataChange, Status } from "./types.ts";

const time = (iso: string) => Date.parse(iso);

/**
 * The statuses as they were at `at`: each at its last version committed by then, with the
 * versions before it as history; a status first created after `at` is left out.
 */
export function statusesAt(statuses: Status[], at: Date): Status[] {
  const moment = at.getTime();
  return statuses.flatMap((status) => {
    const versions = [...status.history, { label: status.label, state: status.state, data: status.data, at: status.updatedAt }];
    const seen = versions.filter((version) => time(version.at) <= moment);
    const last = seen.at(-1);
    if (!last) return [];
    return [{ key: status.key, label: last.label, state: last.state, data: last.data, updatedAt: last.at, history: seen.slice(0, -1) }];
  });
}

/** The metadata changes committed by `at`: the last one's `metadata` is the metadata then. */
export function changesUntil(changes: MetadataChange[], at: Date): MetadataChange[] {
  const moment = at.getTime();
  return changes.filter((change) => time(change.at) <= moment);
}
