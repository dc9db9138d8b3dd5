/**
 * The progress line on its own: rewritten once a second with the running count when enabled (a
 * terminal), cleared at the end, and never written when disabled (a pipe or a file), so scripts
 * reading stderr see only errors.
 */
import { afterEach, expect, spyOn, test } from "bun:test";
import { Progress } from "../src/progress.ts";

const writes: string[] = [];
const spy = spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
  writes.push(String(chunk));
  return true;
});
afterEach(() => {
  writes.length = 0;
});

test("enabled: the count once a second, then the line cleared", async () => {
  const progress = new Progress("produced to t", true);
  progress.add(3);
  progress.add(4);
  await Bun.sleep(1_150);
  progress.done();
  expect(writes).toEqual(["\r\x1b[Kproduced to t: 7", "\r\x1b[K"]);
});

test("disabled: nothing written", async () => {
  const progress = new Progress("consumed from t", false);
  progress.add(10);
  await Bun.sleep(1_150);
  progress.done();
  expect(writes).toEqual([]);
  spy.mockRestore();
});
