import { describe, expect, it } from "vitest";
import { parseDelay } from "../engine/delay.ts";
import { InvalidPayloadError } from "../sdk/errors.ts";

describe("a trigger's delay", () => {
  const now = Date.parse("2026-01-01T00:00:00.000Z");
  const after = (delay: number | string | Date) => parseDelay(delay, now)!.getTime() - now;

  it("reads seconds, as a number or as digits, and durations with a unit", () => {
    expect([after(90), after("90"), after(" 1.5 "), after("30s"), after("5m"), after("250ms"), after("2h")]).toEqual([
      90_000, 90_000, 1_500, 30_000, 300_000, 250, 7_200_000,
    ]);
  });

  it("reads an ISO date, and refuses text that is neither, a negative delay, and one past the range of a Date", () => {
    expect(parseDelay("2026-01-02T00:00:00.000Z", now)?.toISOString()).toBe("2026-01-02T00:00:00.000Z");
    for (const delay of ["tomorrow", -1, "-5", "100000000d", "9999999999999999999999", 1e20]) {
      expect(() => parseDelay(delay, now), String(delay)).toThrow(InvalidPayloadError);
    }
  });
});
