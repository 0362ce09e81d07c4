import { describe, expect, it, vi } from "vitest";
import { decodeCursor, encodeCursor } from "../engine/cursor.ts";
import { newId } from "../engine/ids.ts";

describe("ids", () => {
  it("sort in the order they were made, within a millisecond too, and never repeat", () => {
    const ids = Array.from({ length: 5_000 }, () => newId("run"));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^run_[0-9a-hjkmnp-tv-z]{22}$/);
  });

  it("draw a fresh random part in each new millisecond, past the bytes drawn at once", () => {
    let now = Date.now() + 60_000;
    const clock = vi.spyOn(Date, "now").mockImplementation(() => (now += 1));
    try {
      const tails = Array.from({ length: 1_000 }, () => newId("run")).map((id) => {
        expect(id).toMatch(/^run_[0-9a-hjkmnp-tv-z]{22}$/);
        return id.slice(-12);
      });
      expect(new Set(tails).size).toBe(tails.length);
    } finally {
      clock.mockRestore();
    }
  });

  it("page run lists by a cursor holding a run id of either length, 22 characters or the 26 of older ids", () => {
    for (const id of [newId("run"), "run_01m97naaw9rtaz8q45b25jq8xh"]) {
      expect(decodeCursor(encodeCursor({ createdUs: "1765090000000000", id }))).toEqual({ createdUs: "1765090000000000", id });
    }
    expect(() => decodeCursor(encodeCursor({ createdUs: "1", id: "run_01m97naaw9rtaz8q45b25jq8" }))).toThrow(/Invalid cursor/);
  });
});
