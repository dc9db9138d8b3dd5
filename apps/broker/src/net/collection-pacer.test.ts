import { expect, test } from "bun:test";
import { CollectionPacer } from "./collection-pacer.ts";

test("a collection is asked for once per interval of bytes received, and never with pacing off", () => {
  let asked = 0;
  const pacer = new CollectionPacer(1000, () => {
    asked += 1;
  });
  for (let i = 0; i < 99; i++) pacer.received(100);
  // 9,900 bytes: nine full intervals (a chunk that crosses one starts the next count afresh).
  expect(asked).toBe(9);
  expect(pacer.collectionsRequested).toBe(9);
  pacer.received(5000);
  expect(asked).toBe(10);

  const off = new CollectionPacer(0, () => {
    asked += 1;
  });
  off.received(1 << 30);
  expect(asked).toBe(10);
  expect(() => new CollectionPacer(-1)).toThrow("whole number of bytes");
});
