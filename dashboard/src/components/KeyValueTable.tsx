import type { JsonValue } from "durably/react";
import { JsonValueCell } from "./JsonValueCell.tsx";

/** An object shown as a two-column table (key, value) rather than as raw JSON. */
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
              <JsonValueCell value={value} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
