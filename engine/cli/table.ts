/** A column of a CLI table: its heading, what a row shows in it, and how wide it may grow. */
export interface Column<T> {
  header: string;
  cell: (row: T) => string;
  /** Longer cells are cut to this many characters, ending in "…" (default 40). */
  max?: number;
  align?: "left" | "right";
}

const GAP = "  ";
const DEFAULT_MAX = 40;
/** Narrower than this, a column cut to fit the terminal says nothing: it keeps this much. */
const MIN_WIDTH = 6;

/** Characters as a terminal shows them: a newline or tab inside a cell would break its row. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ");
}

const length = (text: string) => [...text].length;

export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? "…".slice(0, width) : chars.slice(0, width - 1).join("") + "…";
}

/**
 * Rows in columns as wide as their content (up to each column's `max`), a header above; the
 * widest columns give way until the table fits `width` (the terminal's, when there is one).
 * The last column is not padded, so no line ends in spaces.
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[], width = terminalWidth()): string {
  const cells = rows.map((row) => columns.map((column) => oneLine(column.cell(row))));
  const widths = columns.map((column, i) =>
    Math.min(column.max ?? DEFAULT_MAX, Math.max(length(column.header), ...cells.map((row) => length(row[i]!)))),
  );
  if (width !== undefined) {
    const total = () => widths.reduce((sum, w) => sum + w, 0) + GAP.length * (widths.length - 1);
    while (total() > width) {
      const widest = widths.indexOf(Math.max(...widths));
      if (widths[widest]! <= MIN_WIDTH) break;
      widths[widest] = Math.max(MIN_WIDTH, widths[widest]! - (total() - width));
    }
  }
  const line = (values: string[]) =>
    values
      .map((value, i) => {
        const cut = truncate(value, widths[i]!);
        if (i === values.length - 1 && columns[i]!.align !== "right") return cut;
        const pad = " ".repeat(widths[i]! - length(cut));
        return columns[i]!.align === "right" ? pad + cut : cut + pad;
      })
      .join(GAP);
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join("\n");
}

/** The terminal's width, or none when output goes to a file or a pipe (cells are still cut at their column's max). */
export function terminalWidth(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

/** Cut at this when there is no terminal to fit: a 4 KB payload is not a line to read. */
const FIELD_MAX = 200;

/**
 * Named values one per line, the names in a column; fields without a value are left out, and
 * long values are cut to the line.
 */
export function formatFields(fields: readonly (readonly [string, string | null | undefined])[], width = terminalWidth()): string {
  const shown = fields.filter((field): field is readonly [string, string] => field[1] !== null && field[1] !== undefined && field[1] !== "");
  const nameWidth = Math.max(0, ...shown.map(([name]) => length(name)));
  const valueWidth = Math.max(MIN_WIDTH, (width ?? FIELD_MAX + nameWidth + GAP.length) - nameWidth - GAP.length);
  return shown.map(([name, value]) => `${name.padEnd(nameWidth)}${GAP}${truncate(oneLine(value), valueWidth)}`.trimEnd()).join("\n");
}
