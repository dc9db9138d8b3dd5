/**
 * The partition core's `configure` input (a topic's min.insync.replicas changed while the replica is
 * open, issue 16): the next acks=all produce is judged against the new value, as is an acks=all
 * produce already waiting for the high watermark when it is answered (Kafka reads the log's config
 * live in both places); an unchanged value changes nothing, and a value beyond the replica count is
 * accepted (Kafka takes any positive INT) and refuses acks=all until lowered.
 */
import { describe, expect, test } from "bun:test";
import { partition, producer } from "../src/index.ts";
import { drive } from "./partition-drive.ts";

type State = partition.PartitionState;
type Input = partition.PartitionInput;
const E = producer.errorCode;

const responses = (ready: partition.PartitionReady[]) => ready.flatMap((r) => r.respond);

function leaderAlone(minInsyncReplicas = 1): State {
  const s = partition.initialState({ topic: "t", partition: 0, brokerId: 1, minInsyncReplicas });
  return drive(s, { type: "becomeLeader", leaderEpoch: 1, partitionEpoch: 1, isr: [1], replicas: [1] }).state;
}

const produce = (requestId: number, acks: number): Input => ({
  type: "produce",
  requestId,
  acks,
  timeoutMs: 60_000,
  batch: {
    recordCount: 1,
    sizeBytes: 10,
    maxTimestamp: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
  },
});

describe("configure: min.insync.replicas while open", () => {
  test("raised past the ISR refuses the next acks=all; lowered admits it; acks=1 never reads it", () => {
    const raised = drive(
      leaderAlone(),
      { type: "configure", minInsyncReplicas: 2 },
      produce(1, -1),
      produce(2, 1),
    );
    expect(raised.state.config.minInsyncReplicas).toBe(2);
    expect(responses(raised.ready).map((r) => [r.requestId, r.errorCode])).toEqual([
      [1, E.NOT_ENOUGH_REPLICAS],
    ]);
    const lowered = drive(raised.state, { type: "configure", minInsyncReplicas: 1 }, produce(3, -1));
    expect(lowered.state.config.minInsyncReplicas).toBe(1);
    // Both appends are waiting for their append to complete; completing it answers them.
    const done = drive(lowered.state, { type: "appendCompleted", logEndOffset: 2 });
    expect(responses(done.ready).map((r) => [r.requestId, r.errorCode])).toEqual([
      [2, E.NONE],
      [3, E.NONE],
    ]);
  });

  test("a waiting acks=all produce is judged against the value in force when it is answered", () => {
    const waiting = drive(leaderAlone(), produce(1, -1), { type: "configure", minInsyncReplicas: 2 });
    const answered = drive(waiting.state, { type: "appendCompleted", logEndOffset: 1 });
    expect(responses(answered.ready).map((r) => [r.requestId, r.errorCode])).toEqual([
      [1, E.NOT_ENOUGH_REPLICAS_AFTER_APPEND],
    ]);
  });

  test("the same value hands back the same state; a value past the replica bound is taken", () => {
    const s = leaderAlone(1);
    expect(partition.step(s, { type: "configure", minInsyncReplicas: 1 }).state).toBe(s);
    const huge = drive(s, { type: "configure", minInsyncReplicas: 1_000 }, produce(1, -1));
    expect(responses(huge.ready)[0]!.errorCode).toBe(E.NOT_ENOUGH_REPLICAS);
    expect(() => partition.step(s, { type: "configure", minInsyncReplicas: 0 })).toThrow();
  });
});
