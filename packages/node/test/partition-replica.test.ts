/**
 * The shared replica over storage-memory's real log engine and MemoryDisk, driven by a hand-run
 * environment: recovery (epoch cache from batch headers, producer state from batch timestamps, the
 * HW checkpoint), the two meanings of a completed append, storage failures, wake-ups from the core's
 * own times, and a clock set back.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import { recoverEpochs } from "../src/replica/recovery.ts";
import { batchOf, leadAlone, openReplica, produce, TestEnv } from "./test-env.ts";

describe("append completion", () => {
  test("by default an append completes from the page cache: acks=1 and acks=all answer at once", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    const one = produce(r, batchOf(["a", "b"]), 1);
    const all = produce(r, batchOf(["c"]), -1);
    expect(one.outcome?.errorCode).toBe(ErrorCode.NONE);
    expect(one.outcome?.baseOffset).toBe(0);
    expect(all.outcome?.baseOffset).toBe(2);
    expect(r.highWatermark).toBe(3);
    // Nothing was fsynced: the log's flush policy (flush.messages, flush.ms) was not due.
    expect(env.flushes.length).toBe(0);
    expect(r.log.info().flushedOffset).toBe(0);
  });

  test("with durable appends, acks wait for the fsync, and appends during one fsync share the next", () => {
    const env = new TestEnv();
    const r = openReplica(env, { durableAppends: true });
    leadAlone(r);
    const first = produce(r, batchOf(["a"]), 1);
    const second = produce(r, batchOf(["b"]), 1);
    const third = produce(r, batchOf(["c"]), -1);
    expect([first.outcome, second.outcome, third.outcome]).toEqual([null, null, null]);
    // One fsync was asked for; the two appends that came while it was pending join it.
    expect(env.flushes.length).toBe(1);
    env.runFlushes();
    expect(first.outcome?.baseOffset).toBe(0);
    expect(second.outcome?.baseOffset).toBe(1);
    expect(third.outcome?.baseOffset).toBe(2);
    expect(r.log.info().flushedOffset).toBe(3);
    expect(env.flushes.length).toBe(0);
  });

  test("with durable appends a crash before the fsync loses only unacknowledged records", () => {
    const env = new TestEnv();
    const r = openReplica(env, { durableAppends: true });
    leadAlone(r);
    const acked = produce(r, batchOf(["a", "b"]), -1);
    env.runFlushes();
    const lost = produce(r, batchOf(["c"]), -1);
    expect(acked.outcome?.errorCode).toBe(ErrorCode.NONE);
    expect(lost.outcome).toBe(null);
    env.disk.crash({ _tag: "LoseUnsynced" });
    const after = openReplica(new TestEnvOver(env), { durableAppends: true });
    expect(after.logEndOffset).toBe(2);
  });
});

/** A fresh environment over the same disk (a restarted process). */
class TestEnvOver extends TestEnv {
  constructor(before: TestEnv) {
    super(before.disk);
    this.clockMs = before.clockMs;
  }
}

describe("recovery", () => {
  test("a missing leader-epoch checkpoint is rebuilt from the batch headers (seed 42431)", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r, 0);
    produce(r, batchOf(["a", "b"]));
    leadAlone(r, 3);
    produce(r, batchOf(["c"]));
    expect(r.coreState.epochs).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    // The checkpoint is lost (a torn write of the file, or a crash before it was replaced).
    env.disk.remove("/data/t-0/leader-epoch-checkpoint");
    env.disk.crash({ _tag: "KeepUnsynced" });
    const again = openReplica(new TestEnvOver(env));
    expect(again.coreState.epochs).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    expect(again.leaderEpoch).toBe(3);
  });

  test("a checkpoint behind the log is completed from the headers after its last entry", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r, 1);
    produce(r, batchOf(["a"]));
    leadAlone(r, 2);
    produce(r, batchOf(["b"]));
    const log = r.log;
    log.writeLeaderEpochsNow([{ epoch: 1, startOffset: 0 }]);
    expect(recoverEpochs(log, log.readLeaderEpochs())).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 1 },
    ]);
    // Entries past the log end are passed through for the core to drop.
    expect(
      recoverEpochs(log, [
        { epoch: 1, startOffset: 0 },
        { epoch: 9, startOffset: 50 },
      ]),
    ).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 1 },
    ]);
  });

  test("a checkpoint torn by a crash (its replacement is not fsynced) is rebuilt from the whole log", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r, 0);
    produce(r, batchOf(["a", "b"]));
    leadAlone(r, 3);
    produce(r, batchOf(["c"]));
    r.log.flushNow();
    // A replacement of the file that was not fsynced (as writeLeaderEpochsNow's): the crash empties it.
    env.disk.replaceNow("/data/t-0/leader-epoch-checkpoint", new TextEncoder().encode("0\n2\n0 0\n3 2\n"));
    env.disk.crash({ _tag: "LoseUnsynced" });
    expect(env.disk.readAll("/data/t-0/leader-epoch-checkpoint")).toEqual(new Uint8Array(0));
    const after = new TestEnvOver(env);
    const again = openReplica(after);
    expect(again.coreState.epochs).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    expect(after.lines.some((l) => l.includes("rebuilding the leader epochs from the whole log"))).toBe(true);
  });

  test("a checkpoint ahead of the log (a truncation the crash did not keep) is corrected by the scanned headers", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r, 1);
    produce(r, batchOf(["a"]));
    leadAlone(r, 2);
    produce(r, batchOf(["b", "c"]));
    const log = r.log;
    expect(log.recoveryStats.scannedFromOffset).toBe(0);
    // Offsets 1 and 2 are of epoch 2, not of the 5 and 6 a stale checkpoint claims.
    expect(
      recoverEpochs(log, [
        { epoch: 1, startOffset: 0 },
        { epoch: 5, startOffset: 1 },
        { epoch: 6, startOffset: 2 },
      ]),
    ).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 1 },
    ]);
  });

  test("a clean close writes no producer snapshot for an empty log, and one for a log with records", async () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r, 1);
    const snapshots = () => env.disk.list("/data/t-0").filter((n) => n.endsWith(".producers.snapshot"));
    expect(await r.log.close()).toBe(true);
    expect(snapshots()).toEqual([]);
    const again = openReplica(new TestEnvOver(env));
    leadAlone(again, 2);
    produce(again, batchOf(["a"]));
    expect(await again.log.close()).toBe(true);
    expect(snapshots()).toEqual(["00000000000000000001.producers.snapshot"]);
  });

  test("idempotent producers survive a restart: a retried batch is answered as a duplicate", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    const batch = () =>
      batchOf(["x", "y"], { producerId: 7, producerEpoch: 0, baseSequence: 0, timestampMs: 1_000 });
    expect(produce(r, batch()).outcome?.baseOffset).toBe(0);
    env.disk.crash({ _tag: "KeepUnsynced" });
    const again = openReplica(new TestEnvOver(env));
    leadAlone(again, 1);
    const retry = produce(again, batch());
    expect(retry.outcome?.duplicate).toBe(true);
    expect(retry.outcome?.baseOffset).toBe(0);
    expect(again.logEndOffset).toBe(2);
    // A gap in the sequence is still refused after the restart; the next batch in sequence goes on.
    const gap = produce(
      again,
      batchOf(["z"], { producerId: 7, producerEpoch: 0, baseSequence: 9, timestampMs: 1_000 }),
    );
    expect(gap.outcome?.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const next = produce(
      again,
      batchOf(["f"], { producerId: 7, producerEpoch: 0, baseSequence: 2, timestampMs: 1_000 }),
    );
    expect(next.outcome?.baseOffset).toBe(2);
  });

  test("a full disk answers KAFKA_STORAGE_ERROR and damages nothing already stored", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    expect(produce(r, batchOf(["kept"])).outcome?.errorCode).toBe(ErrorCode.NONE);
    r.log.flushNow();
    env.disk.faults.failNextWrite = "NoSpace";
    expect(produce(r, batchOf(["lost"])).outcome?.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(env.failures[0]).toContain("NoSpace");
    env.disk.crash({ _tag: "LoseUnsynced" });
    const again = openReplica(new TestEnvOver(env));
    leadAlone(again, 1);
    expect(again.logEndOffset).toBe(1);
    expect(produce(again, batchOf(["after"])).outcome?.baseOffset).toBe(1);
  });

  test("producer state is rebuilt at each batch's own time: one idle past expiry before a restart is gone", () => {
    const env = new TestEnv();
    const core = { producerIdExpirationMs: 60_000 };
    const r = openReplica(env, { core });
    leadAlone(r);
    produce(r, batchOf(["x"], { producerId: 7, producerEpoch: 0, baseSequence: 0, timestampMs: 1_000 }));
    env.disk.crash({ _tag: "KeepUnsynced" });
    const known = (at: number): boolean => {
      const next = new TestEnvOver(env);
      next.clockMs = at;
      const again = openReplica(next, { core });
      leadAlone(again, 1);
      // Any later step runs the leader's expiry check.
      next.clockMs = at + 1;
      produce(again, batchOf(["plain"]));
      return again.coreState.producers.entries.some((e) => e.producerId === 7);
    };
    // Restarted soon after, the producer is still known; restarted two minutes later (past its
    // 60 s expiry, counted from its batch's timestamp, not from the restart) it is gone.
    expect(known(2_000)).toBe(true);
    expect(known(121_000)).toBe(false);
  });

  test("the high watermark comes back from the node's checkpoint, clamped to the recovered log", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    produce(r, batchOf(["a", "b", "c"]));
    expect(r.highWatermark).toBe(3);
    env.hw.write();
    env.disk.crash({ _tag: "KeepUnsynced" });
    const next = new TestEnvOver(env);
    const again = openReplica(next);
    expect(next.hw.stored("t", 0)).toBe(3);
    expect(again.highWatermark).toBe(3);
  });

  test("a torn tail is cut by the engine and the replica opens on what is left", () => {
    const env = new TestEnv();
    const r = openReplica(env, { durableAppends: true });
    leadAlone(r);
    produce(r, batchOf(["a", "b"]));
    env.runFlushes();
    produce(r, batchOf(["c", "d", "e"]));
    env.disk.crash({ _tag: "TornTail", keptUnsyncedBytes: 20 });
    const restarted = new TestEnvOver(env);
    const again = openReplica(restarted, { durableAppends: true });
    expect(again.logEndOffset).toBe(2);
    // The engine's recovery said what it cut.
    expect(restarted.lines.length).toBeGreaterThan(0);
    expect(again.coreState.epochs).toEqual([{ epoch: 0, startOffset: 0 }]);
  });
});

describe("failures and time", () => {
  test("a failing disk takes the replica offline: waiting produces get KAFKA_STORAGE_ERROR, stored records stay", () => {
    const env = new TestEnv();
    const r = openReplica(env, { durableAppends: true });
    leadAlone(r);
    produce(r, batchOf(["a"]), -1);
    env.runFlushes();
    const waiting = produce(r, batchOf(["b"]), -1);
    env.disk.faults.failNextSync = true;
    env.runFlushes();
    expect(waiting.outcome?.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(env.failures.length).toBe(1);
    expect(r.isOffline).toBe(true);
    expect(produce(r, batchOf(["c"])).outcome?.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(r.read(0, 1 << 20, -1).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    env.disk.crash({ _tag: "LoseUnsynced" });
    expect(openReplica(new TestEnvOver(env)).logEndOffset).toBe(1);
  });

  test("bad batches are refused with Kafka's codes and nothing is written", () => {
    const env = new TestEnv();
    const r = openReplica(env, { messageBytesMax: 200 });
    leadAlone(r);
    const corrupt = batchOf(["a"]);
    corrupt[corrupt.length - 1]! ^= 0xff;
    expect(produce(r, corrupt).outcome?.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(produce(r, batchOf(["x".repeat(300)])).outcome?.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(produce(r, new Uint8Array(0)).outcome?.errorCode).toBe(ErrorCode.INVALID_RECORD);
    const two = new Uint8Array([...batchOf(["a"]), ...batchOf(["b"])]);
    expect(produce(r, two).outcome?.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.logEndOffset).toBe(0);
  });

  test("a clock set back never reaches the core (no 'time went backwards')", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    env.clockMs = 50_000;
    produce(r, batchOf(["a"]));
    // A replica opened later holds a later reading than the clock the next call sees.
    env.clockMs = 10_000;
    expect(() => produce(r, batchOf(["b"]))).not.toThrow();
    expect(r.coreState.nowMs).toBe(50_000);
    expect(r.logEndOffset).toBe(2);
  });

  test("wake-ups come at the core's own times: an acks=all produce times out on its timer", () => {
    const env = new TestEnv();
    const r = openReplica(env, { core: { minInsyncReplicas: 1, replicaLagTimeMaxMs: 60_000 } });
    // Two replicas in the ISR: acks=all waits for broker 1, which never fetches.
    r.applyLeadership({ leader: 0, leaderEpoch: 0, partitionEpoch: 0, isr: [0, 1], replicas: [0, 1] });
    const waiting = produce(r, batchOf(["a"]), -1, 3_000);
    expect(waiting.outcome).toBe(null);
    const wake = env.wakes.find((w) => w.atMs === env.clockMs + 3_000);
    expect(wake).toBeDefined();
    env.advanceTo(env.clockMs + 2_999);
    expect(waiting.outcome).toBe(null);
    env.advanceTo(env.clockMs + 1);
    expect(waiting.outcome?.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
  });

  test("parked reads wake when the high watermark moves, and the waiters are bounded", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    leadAlone(r);
    let woken = 0;
    const cancel = r.waitForChange(() => woken++);
    expect(cancel).not.toBe(null);
    produce(r, batchOf(["a"]));
    expect(woken).toBe(1);
    const read = r.read(0, 1 << 20, -1);
    expect(read.errorCode).toBe(ErrorCode.NONE);
    expect(read.highWatermark).toBe(1);
    expect(read.records.length).toBeGreaterThan(0);
  });

  test("a parked read wakes inside the produce call that moves the high watermark, acks 1 and -1 alike", () => {
    // One replica: the append completes and the high watermark moves in the step the produce starts,
    // so the broker's parked fetch can answer in the same turn as the acknowledgement, with no timer.
    for (const acks of [1, -1]) {
      const env = new TestEnv();
      const r = openReplica(env);
      leadAlone(r);
      let answered = false;
      const seen: { highWatermark: number; answered: boolean }[] = [];
      r.waitForChange(() => seen.push({ highWatermark: r.highWatermark, answered }));
      r.produce(batchOf(["a"]), acks, 5_000, (outcome) => {
        expect(outcome.errorCode).toBe(ErrorCode.NONE);
        answered = true;
      });
      // Woken once, before produce returned and with no timer fired, the record already readable; the
      // acknowledgement went first (the core's order: respond, then wake the readers).
      expect(seen).toEqual([{ highWatermark: 1, answered: true }]);
      expect(r.read(0, 1 << 20, -1).records.length).toBeGreaterThan(0);
    }
  });
});
