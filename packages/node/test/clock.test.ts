import { expect, test } from "bun:test";
import { monotonicClock } from "../src/clock.ts";

test("the node's clock never goes back when its source does", () => {
  const readings = [100, 250, 90, 300, 299];
  const clock = monotonicClock(() => readings.shift()!);
  expect([clock(), clock(), clock(), clock(), clock()]).toEqual([100, 250, 250, 300, 300]);
});
