/**
 * kafkajs 2.2.4, which the client tests drive, passed an absolute time where a delay belongs: its
 * request queue schedules its next look at pending requests `throttledUntil - Date.now()` ms ahead,
 * and `throttledUntil` is -1 until a broker throttles, so every answered request set a timer of
 * about minus the current epoch milliseconds (`TimeoutNegativeWarning: -1796646078874 is a negative
 * number` on every test run), which the runtime turns into 1 ms: the queue then woke every
 * millisecond for as long as the connection lived (kafkajs issue #1751, and #1704 for the busy loop).
 * The repository patches kafkajs (patches/kafkajs@2.2.4.patch) to schedule nothing when nothing is
 * pending and no throttle is in force. This test holds the patch in place: a kafkajs client that
 * talks to the broker and then idles raises no such warning and sets (almost) no timers; and the
 * broker, which was searched for the same mistake and had none, prints no such warning either.
 *
 * It must never weaken what it checks to pass: a warning of that kind, or a timer loop, is a failure.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";

/** How long the client idles while its timers are counted. */
const idleWindowMs = 500;
/**
 * Timers a connected, idle admin client may set in the window: kafkajs sets none of its own then
 * (its request-timeout check is an interval, set once per connection). The unpatched queue set one
 * per millisecond, hundreds in the window.
 */
const idleTimersMax = 5;

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

test("a kafkajs client neither sets a negative timeout nor polls every millisecond while idle", async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(`${warning.name}: ${warning.message}`);
  };
  process.on("warning", onWarning);
  const kafka = new Kafka({
    clientId: "idle-timers",
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const realSetTimeout = globalThis.setTimeout;
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "idle-timers" }] });
    expect(await admin.listTopics()).toContain("idle-timers");
    // Count the timers set while the client does nothing; every request above has been answered.
    let timersSet = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timersSet++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    await Bun.sleep(idleWindowMs);
    globalThis.setTimeout = realSetTimeout;
    expect(warnings.filter((w) => w.startsWith("TimeoutNegativeWarning"))).toEqual([]);
    expect(timersSet).toBeLessThanOrEqual(idleTimersMax);
    // The broker process, which set no such timer either, must keep it that way.
    expect(broker.output()).not.toContain("TimeoutNegativeWarning");
  } finally {
    globalThis.setTimeout = realSetTimeout;
    process.off("warning", onWarning);
    await admin.disconnect();
  }
}, 30_000);
