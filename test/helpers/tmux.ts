import { execFileSync } from "node:child_process";
import { until } from "./until.ts";

/** A quoted word for the shell tmux runs the command in. */
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * A command in a terminal, as a person at one sees it: a detached tmux session on a server of
 * its own (no other tmux is touched), whose screen the test reads. The session stays after the
 * command ends, its exit code printed last as `EXIT=<code>`.
 */
export class Terminal {
  readonly #socket = `durably-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(command: string[], env: Record<string, string>, size = { columns: 160, rows: 40 }) {
    const exports = Object.entries(env).map(([name, value]) => `${name}=${quote(value)}`).join(" ");
    const line = `env ${exports} ${command.map(quote).join(" ")}; echo EXIT=$?; sleep 3600`;
    this.#tmux("new-session", "-d", "-s", "t", "-x", String(size.columns), "-y", String(size.rows), line);
  }

  #tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.#socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
  }

  /** The screen's text, without its trailing empty lines. */
  screen(): string {
    return this.#tmux("capture-pane", "-p", "-t", "t").replace(/\n+$/, "");
  }

  /** Waits until the screen shows what `test` looks for, and returns it. */
  async waitFor(test: (screen: string) => boolean, timeoutMs = 30_000): Promise<string> {
    try {
      return await until(async () => {
        const screen = this.screen();
        return test(screen) ? screen : undefined;
      }, timeoutMs, 100);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the screen shows:\n${this.screen()}`, { cause: error });
    }
  }

  sendKeys(...keys: string[]): void {
    this.#tmux("send-keys", "-t", "t", ...keys);
  }

  close(): void {
    this.#tmux("kill-server");
  }
}
