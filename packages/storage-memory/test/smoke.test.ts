import { expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { LogStore, StateStore } from "@eddy/storage";
import * as Effect from "effect/Effect";
import { layerMemory, MemoryDisk } from "../src/index.ts";

const tp = { topic: "t", partition: 0 };

test("append, read, crash and recover in memory", async () => {
  const disk = new MemoryDisk();
  const program = Effect.gen(function* () {
    const logs = yield* LogStore;
    yield* logs.openPartition(tp, { segmentBytesMax: 300, indexIntervalBytes: 0 });
    for (let i = 0; i < 10; i++) {
      yield* logs.append(
        tp,
        batchMake({ baseOffset: i * 2, recordCount: 2, baseTimestampMs: 1000 + i, body: new Uint8Array(40) }),
        0,
      );
    }
    const read = yield* logs.read(tp, { fetchOffset: 5, maxBytes: 1000 });
    const segments = yield* logs.segments(tp);
    const ts = yield* logs.offsetForTimestamp(tp, 1005);
    yield* logs.flush(tp);
    yield* logs.append(tp, batchMake({ baseOffset: 20, recordCount: 1, body: new Uint8Array(10) }), 0);
    return { read, segments, ts, info: yield* logs.info(tp) };
  });
  const r = await Effect.runPromise(Effect.scoped(Effect.provide(program, layerMemory({ disk }))));
  expect(r.read.batchCount).toBeGreaterThan(0);
  expect(r.segments.length).toBeGreaterThan(1);
  expect(r.ts?.baseOffset).toBe(10);
  expect(r.info.logEndOffset).toBe(21);
  disk.crash({ _tag: "LoseUnsynced" });
  const after = await Effect.runPromise(
    Effect.provide(
      LogStore.use((logs) => logs.info(tp)),
      layerMemory({ disk }),
    ),
  );
  // The scoped layer closed cleanly, and a clean close flushes, so the crash loses nothing.
  expect(after.logEndOffset).toBe(21);
  const state = await Effect.runPromise(
    Effect.provide(
      Effect.gen(function* () {
        const s = yield* StateStore;
        yield* s.commitGroupOffsets("g", [
          { topic: "t", partition: 0, offset: 5, leaderEpoch: -1, metadata: "", commitTimestampMs: 1 },
        ]);
        return yield* s.groupOffsets("g");
      }),
      layerMemory({ disk }),
    ),
  );
  expect(state[0]?.offset).toBe(5);
});
