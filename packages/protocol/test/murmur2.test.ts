/**
 * Kafka's key hash against the values Kafka's own `UtilsTest.testMurmur2` lists, so a key lands in
 * the partition a Java producer would choose; a partition count that is no whole number above 0 is
 * refused.
 */
import { expect, test } from "bun:test";
import { murmur2, partitionForKey, toPositive } from "../src/index.ts";

test("murmur2 gives Kafka's values", () => {
  const utf8 = new TextEncoder();
  const cases: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [text, hash] of cases) expect([text, murmur2(utf8.encode(text))]).toEqual([text, hash]);
  expect(partitionForKey(utf8.encode("21"), 7)).toBe((-973932308 & 0x7fffffff) % 7);
});

test("toPositive clears the sign bit; a partition is always inside the count", () => {
  expect(toPositive(-1)).toBe(0x7fffffff);
  expect(toPositive(-2147483648)).toBe(0);
  const key = new TextEncoder().encode("key");
  for (let count = 1; count <= 64; count++) {
    const partition = partitionForKey(key, count);
    expect(partition >= 0 && partition < count).toBe(true);
  }
  for (const count of [0, -1, 1.5, Number.NaN]) expect(() => partitionForKey(key, count)).toThrow(RangeError);
});
