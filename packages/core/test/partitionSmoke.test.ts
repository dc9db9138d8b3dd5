import { expect, test } from "bun:test";
import { partition } from "../src/index.ts";

test("single replica leader acks=all", () => {
  let s = partition.initialState({ topic: "t", partition: 0, brokerId: 1 });
  let r = partition.step(s, {
    type: "becomeLeader",
    leaderEpoch: 0,
    partitionEpoch: 0,
    isr: [1],
    replicas: [1],
  });
  s = r.state;
  r = partition.step(s, {
    type: "produce",
    requestId: 7,
    acks: -1,
    timeoutMs: 1000,
    batch: {
      recordCount: 3,
      sizeBytes: 10,
      maxTimestamp: 0,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
    },
  });
  expect(r.ready.persist).toEqual([
    { type: "append", requestId: 7, baseOffset: 0, lastOffset: 2, leaderEpoch: 0 },
  ]);
  expect(r.ready.respond).toEqual([]);
  r = partition.step(r.state, { type: "appendCompleted", logEndOffset: 3 });
  expect(r.ready.respond.map((x) => [x.requestId, x.errorCode, x.baseOffset])).toEqual([[7, 0, 0]]);
  expect(r.state.highWatermark).toBe(3);
});
