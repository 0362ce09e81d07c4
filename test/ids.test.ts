import { describe, expect, it } from "vitest";
import { newId } from "../engine/ids.ts";

describe("ids", () => {
  it("sort in the order they were made, within a millisecond too, and never repeat", () => {
    const ids = Array.from({ length: 5_000 }, () => newId("run"));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^run_[0-9a-hjkmnp-tv-z]{26}$/);
  });
});
