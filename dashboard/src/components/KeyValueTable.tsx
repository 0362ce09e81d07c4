import type { JsonValue } from "durably/react";
import { MetadataValue } from "./MetadataValue.tsx";

/** An object shown as a two-column table (key, value) rather than as raw JSON; see MetadataValue for how values show. */
export function KeyValueTable({ entries, testId }: { entries: [string, JsonValue][]; testId?: string }) {
  return (
    <table className="kv" data-testid={testId}>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row" className="mono">
              {key}
            </th>
            <td>
              <MetadataValue name={key} value={value} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
