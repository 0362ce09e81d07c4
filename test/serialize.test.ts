import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { checkMetadata, decode, encode } from "../engine/serialize.ts";

/** What encode stored before plain JSON skipped superjson: the refusals are findUnserializable's, checked by their own tests. */
function superjsonStored(value: unknown) {
  return superjson.serialize(value);
}

const shared = { a: 1 };
/** Values around the edges of what the plain path takes: each must come out as superjson's would. */
const edges: unknown[] = [
  0, -0, 1.5, NaN, Infinity, -Infinity, "", "text", true, false, null, undefined, 10n,
  [], [1, "two", null], [1, , 3], [undefined], { a: undefined }, { a: 1, b: [{ c: "d" }] },
  { 2: "two", 1: "one", b: "b", a: "a" }, Object.assign(Object.create(null), { x: 1 }), new Date(0), new Map([[1, 2]]),
  new Set([1]), /re/, new Error("boom"), { when: new Date(0) }, [shared, shared], { x: shared, y: { z: shared } },
  new (class Point { constructor(readonly x = 1) {} })(), Object.assign([1, 2], { extra: true }),
  { label: "1/3", state: "loading", key: "progress", data: undefined }, { "a.b": undefined, "c\\d": { "e.": [undefined, 1] }, 0: undefined },
  { list: [{ x: undefined }, undefined], when: undefined, n: 1 },
];

describe("encode and decode", () => {
  it("store every value as superjson does and read it back as superjson's deserialize does", () => {
    for (const value of edges) {
      const stored = encode(value, "value");
      expect(JSON.stringify(stored)).toBe(JSON.stringify(superjsonStored(value)));
      const expected = superjson.deserialize(superjsonStored(value));
      expect(decode(stored)).toStrictEqual(expected);
      expect(decode(JSON.parse(JSON.stringify(stored)))).toStrictEqual(superjson.deserialize(JSON.parse(JSON.stringify(superjsonStored(value)))));
    }
  });

  it("agree with superjson on random JSON-like values", () => {
    const leaf = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: true }));
    const key = fc.oneof(fc.string(), fc.constantFrom("a.b", "c\\d", "0", "1", ".", "\\"));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("node")), fc.dictionary(key.filter((k) => !["__proto__", "constructor", "prototype"].includes(k)), tie("node"))),
    })).node;
    fc.assert(fc.property(value, (v) => {
      let stored;
      try {
        stored = encode(v, "value");
      } catch {
        return; // a lone surrogate or a NUL: refused either way, see bad-input tests
      }
      expect(JSON.stringify(stored)).toBe(JSON.stringify(superjsonStored(v)));
      expect(decode(JSON.parse(JSON.stringify(stored)))).toStrictEqual(superjson.deserialize(JSON.parse(JSON.stringify(superjsonStored(v)))));
    }), { numRuns: 500 });
  });

  it("store a copy: a value changed after encode is stored as it was, and each decode is a copy of its own", () => {
    const value = { list: [1, 2], inner: { n: 1 } };
    const stored = encode(value, "value");
    value.list.push(3);
    value.inner.n = 2;
    expect(stored.json).toEqual({ list: [1, 2], inner: { n: 1 } });
    const first = decode<typeof value>(stored)!;
    first.inner.n = 99;
    expect(decode(stored)).toEqual({ list: [1, 2], inner: { n: 1 } });
  });

  it("refuse what jsonb or superjson cannot hold, plain-looking or not, with the reason", () => {
    expect(() => encode("a\u0000b", "output")).toThrow(/output contains a NUL character/);
    expect(() => encode({ k: "\uD800" }, "output")).toThrow(/output\.k is not valid Unicode/);
    expect(() => encode({ ["\uD800"]: 1 }, "output")).toThrow(/a key in output is not valid Unicode/);
    expect(() => encode(JSON.parse('{"__proto__": 1}'), "output")).toThrow(/prototype pollution/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => encode(circular, "output")).toThrow(/circular reference/);
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(() => encode(deep, "output")).toThrow(/nested more than 64 levels/);
    let leafTooDeep: unknown = "bottom";
    for (let i = 0; i < 65; i++) leafTooDeep = { next: leafTooDeep };
    expect(() => encode(leafTooDeep, "payload")).toThrow(/nested more than 64 levels/);
    let deepest: unknown = "bottom";
    for (let i = 0; i < 64; i++) deepest = { next: deepest };
    expect(decode(encode(deepest, "payload"))).toEqual(deepest);
    expect(() => encode({ n: 1, s: "x".repeat(100) }, "output", 50)).toThrow(/over the limit of 50 bytes/);
  });
});

describe("checkMetadata", () => {
  it("returns the JSON round trip of the metadata, plain or not", () => {
    const plain = { a: 1, b: ["x", { c: null }] };
    const checked = checkMetadata(plain, 4096);
    expect(checked).toStrictEqual(JSON.parse(JSON.stringify(plain)));
    expect(checked).not.toBe(plain);
    expect((checked.b as unknown[])[1]).not.toBe(plain.b[1]);
    const odd = { when: new Date(0), gone: undefined, n: -0 };
    expect(checkMetadata(odd, 4096)).toStrictEqual(JSON.parse(JSON.stringify(odd)));
  });

  it("refuses metadata over the limit in UTF-8 bytes and says its size", () => {
    expect(() => checkMetadata({ s: "é".repeat(10) }, 20)).toThrow(expect.objectContaining({ code: "METADATA_TOO_LARGE" }));
    expect(() => checkMetadata({ s: "x\u0000" }, 4096)).toThrow(/NUL character/);
  });
});
