// Kafka property names map to the log config with Kafka's precedence and defaults.
import { expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { LogStore, logConfigDefault, logConfigFromKafka } from "@eddy/storage";
import * as Effect from "effect/Effect";
import * as ManagedRuntime from "effect/ManagedRuntime";
import { layerMemory, MemoryDisk } from "../src/index.ts";

test("defaults are Kafka's", () => {
  expect(logConfigDefault.segmentBytesMax).toBe(1073741824);
  expect(logConfigDefault.retentionMs).toBe(168 * 3600 * 1000);
  expect(logConfigDefault.retentionBytesMax).toBe(-1);
  expect(logConfigDefault.indexIntervalBytes).toBe(4096);
  expect(logConfigDefault.flushIntervalMessages).toBe(Number.POSITIVE_INFINITY);
});

test("broker and topic property names, with .ms over .minutes over .hours", () => {
  const parsed = logConfigFromKafka({
    "log.segment.bytes": "1048576",
    "log.retention.hours": "1",
    "log.retention.minutes": "2",
    "retention.bytes": "5000",
    "log.flush.interval.messages": "9223372036854775807",
    "segment.ms": "60000",
  });
  expect(parsed).toEqual({
    _tag: "Valid",
    config: {
      ...logConfigDefault,
      segmentBytesMax: 1048576,
      retentionMs: 120_000,
      retentionBytesMax: 5000,
      rollMs: 60_000,
    },
  });
  expect(logConfigFromKafka({ "log.retention.ms": "-1" })).toEqual({
    _tag: "Valid",
    config: { ...logConfigDefault, retentionMs: -1 },
  });
});

test("bad values get a clear sentence", () => {
  expect(logConfigFromKafka({ "log.segment.bytes": "10" })).toEqual({
    _tag: "Invalid",
    problem: "segmentBytesMax must be in [61, 2^31-1], got 10",
  });
  expect(logConfigFromKafka({ "retention.ms": "soon" })).toEqual({
    _tag: "Invalid",
    problem: "retention.ms is not an integer: soon",
  });
});

test("flushIntervalMessages makes appends durable without an explicit flush", async () => {
  const disk = new MemoryDisk();
  const rt = ManagedRuntime.make(layerMemory({ disk, config: { flushIntervalMessages: 3 } }));
  const tp = { topic: "t", partition: 0 };
  const flushed = await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        const seen: Array<number> = [];
        for (let i = 0; i < 4; i++) {
          yield* logs.append(tp, batchMake({ baseOffset: i, recordCount: 1 }), 0);
          seen.push((yield* logs.info(tp)).flushedOffset);
        }
        return seen;
      }),
    ),
  );
  expect(flushed).toEqual([0, 0, 3, 3]);
  disk.crash({ _tag: "LoseUnsynced" });
  const again = ManagedRuntime.make(layerMemory({ disk }));
  expect((await again.runPromise(LogStore.use((logs) => logs.info(tp)))).logEndOffset).toBe(3);
  await again.dispose();
});
