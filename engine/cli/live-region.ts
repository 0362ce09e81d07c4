import { truncate } from "./table.ts";

/**
 * Lines at the bottom of a terminal redrawn in place (the `runs watch` summary, the `runs list
 * --watch` table), with lines printed above it for good. Each line is cut to the terminal's
 * width: a wrapped line of the region would take two rows, and the redraw would erase one too few.
 */
export class LiveRegion {
  #shown = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  /** Prints `lines` above the region, where they stay, and draws the region again below them. */
  update(permanent: string[], region: string[]): void {
    const width = this.out.columns || 80;
    // Rows scrolled off the top cannot be reached to erase: the region keeps within the screen.
    const rows = this.out.rows || 24;
    if (region.length > rows - 1) region = [...region.slice(0, rows - 2), `… ${region.length - rows + 2} more lines (a taller terminal shows them)`];
    const erase = this.#shown ? `\x1b[${this.#shown}A\r\x1b[J` : "";
    const body = [...permanent, ...region].map((line) => truncate(line, width - 1));
    this.out.write(erase + body.map((line) => line + "\n").join(""));
    this.#shown = region.length;
  }
}
