/**
 * A topic's configs changed while its replica is open (AlterConfigs, issue 16) reach the replica at
 * once through `retune`, with no reopen: min.insync.replicas refuses or admits acks=all from the next
 * produce, and judges an acks=all produce already waiting; max.message.bytes refuses a larger batch
 * from the next produce; durable appends (flush.messages=1) make the next acknowledgement wait for an
 * fsync, and turning them on fsyncs what was written before. Driven by the hand-run environment, so
 * each answer is read exactly when it comes.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import { batchOf, leadAlone, openReplica, produce, TestEnv } from "./test-env.ts";

const loose = { minInsyncReplicas: 1, messageBytesMax: 1 << 20, durableAppends: false };

describe("retune", () => {
  test("min.insync.replicas raised past the ISR refuses acks=all at once; lowered admits it again", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    expect(produce(r, batchOf(["a"]), -1).outcome?.errorCode).toBe(ErrorCode.NONE);
    r.retune({ ...loose, minInsyncReplicas: 2 });
    expect(produce(r, batchOf(["b"]), -1).outcome?.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    // acks=1 does not read min.insync.replicas, in Kafka as here.
    expect(produce(r, batchOf(["c"]), 1).outcome?.errorCode).toBe(ErrorCode.NONE);
    r.retune(loose);
    expect(produce(r, batchOf(["d"]), -1).outcome?.errorCode).toBe(ErrorCode.NONE);
    expect(r.logEndOffset).toBe(3);
  });

  test("an acks=all produce waiting for its fsync is judged against the setting in force when answered", () => {
    const env = new TestEnv();
    const r = openReplica(env, { durableAppends: true });
    leadAlone(r);
    const waiting = produce(r, batchOf(["a"]), -1);
    expect(waiting.outcome).toBeNull();
    r.retune({ ...loose, durableAppends: true, minInsyncReplicas: 2 });
    env.runFlushes();
    expect(waiting.outcome?.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  });

  test("max.message.bytes lowered refuses a larger batch at once; raised admits it", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    const big = batchOf(["x".repeat(500)]);
    expect(produce(r, big).outcome?.errorCode).toBe(ErrorCode.NONE);
    r.retune({ ...loose, messageBytesMax: big.length - 1 });
    const refused = produce(r, big).outcome;
    expect(refused?.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(refused?.errorMessage).toContain(`max.message.bytes (${big.length - 1})`);
    expect(produce(r, batchOf(["small"])).outcome?.errorCode).toBe(ErrorCode.NONE);
    r.retune({ ...loose, messageBytesMax: big.length });
    expect(produce(r, big).outcome?.errorCode).toBe(ErrorCode.NONE);
    expect(r.logEndOffset).toBe(3);
  });

  test("durable appends turned on fsync the log written so far and hold the next ack until its fsync", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    expect(produce(r, batchOf(["a", "b"])).outcome?.errorCode).toBe(ErrorCode.NONE);
    expect(r.log.info().flushedOffset).toBe(0);
    r.retune({ ...loose, durableAppends: true });
    env.runFlushes();
    expect(r.log.info().flushedOffset).toBe(2);
    const held = produce(r, batchOf(["c"]));
    expect(held.outcome).toBeNull();
    expect(r.log.info().flushedOffset).toBe(2);
    env.runFlushes();
    expect(held.outcome?.errorCode).toBe(ErrorCode.NONE);
    expect(r.log.info().flushedOffset).toBe(3);
    // Turned off again, the next ack comes from the page cache without an fsync.
    r.retune(loose);
    expect(produce(r, batchOf(["d"])).outcome?.errorCode).toBe(ErrorCode.NONE);
    expect(r.log.info().flushedOffset).toBe(3);
  });
});
