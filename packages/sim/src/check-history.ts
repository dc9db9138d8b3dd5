/**
 * History checkers (Jepsen's Kafka workload, ported to our history shape). They run after a run on
 * the client-visible history plus the final committed log of every partition, read from the cluster
 * after the liveness phase. Each check reports the Appendix A number it enforces. They never look at
 * broker internals beyond `finalLogs`, which stands for Jepsen's final polls.
 */
import type { History, PollRecord } from "./history.ts";
import type { Violations } from "./violation.ts";

/**
 * The committed log of each partition at the end of the run: offset -> value (-1 for a hole). A
 * partition left offline by the fault model (its whole ISR stayed down) has no entry.
 */
export type FinalLogs = ReadonlyMap<number, readonly number[]>;

/**
 * The value a final log holds at an offset retention deleted (below the log start, in runs whose
 * topic has retention): Kafka's contract lets those records go, so no check counts them as lost.
 */
export const retentionDeletedValue = -2;

export function checkHistory(h: History, finalLogs: FinalLogs, v: Violations, endMs: number): void {
  checkLostWrites(h, finalLogs, v, endMs);
  checkOffsetUniqueness(h, finalLogs, v, endMs);
  checkIdempotentDuplicates(h, finalLogs, v, endMs);
  checkProducerOrder(h, v, endMs);
  checkConsumerOrder(h, v);
  checkPhantomsAndDelivery(h, finalLogs, v, endMs);
}

/** 1: every acks=all acknowledged write is at its acknowledged offset in the final committed log. */
function checkLostWrites(h: History, finalLogs: FinalLogs, v: Violations, endMs: number): void {
  for (const op of h.produces) {
    if (op.outcome !== "ok" || op.acks !== -1) continue;
    const log = finalLogs.get(op.partition);
    // A partition without a final log stayed offline (its whole ISR was left down): not checkable.
    if (log === undefined) continue;
    const at = log?.[op.offset];
    if (at === retentionDeletedValue) continue;
    v.checked(1);
    if (at !== op.value) {
      v.add(
        1,
        endMs,
        `acked write value=${op.value} p=${op.partition} offset=${op.offset} (acked at ${op.completeMs}ms) ` +
          `is ${at === undefined ? "missing" : `replaced by ${at}`} in the final log (length ${log?.length ?? 0})`,
      );
    }
  }
}

/** 3: a (partition, offset) maps to one value across acks=all acks, polls and the final log. */
function checkOffsetUniqueness(h: History, finalLogs: FinalLogs, v: Violations, endMs: number): void {
  // Keyed by partition, then offset (numbers: this runs over every record of the run).
  const seen = new Map<number, Map<number, number>>();
  const note = (p: number, offset: number, value: number, what: () => string, atMs: number) => {
    v.checked(3);
    let byOffset = seen.get(p);
    if (byOffset === undefined) {
      byOffset = new Map();
      seen.set(p, byOffset);
    }
    const prior = byOffset.get(offset);
    if (prior === undefined) byOffset.set(offset, value);
    else if (prior !== value) {
      v.add(3, atMs, `p=${p} offset=${offset} holds both ${prior} and ${value} (${what()})`);
    }
  };
  const finalLog = () => "final log";
  const ack = () => "ack";
  for (const [p, log] of finalLogs) {
    for (let o = 0; o < log.length; o++) if (log[o]! >= 0) note(p, o, log[o]!, finalLog, endMs);
  }
  for (const op of h.produces) {
    if (op.outcome === "ok" && op.acks === -1) note(op.partition, op.offset, op.value, ack, op.completeMs);
  }
  for (const r of h.polls) note(r.partition, r.offset, r.value, () => `poll by ${r.consumer}`, r.atMs);
}

/** 11: with idempotence, each send appears at most once in the final log, however often it was retried. */
function checkIdempotentDuplicates(h: History, finalLogs: FinalLogs, v: Violations, endMs: number): void {
  const idempotentValues = new Set<number>();
  for (const op of h.produces) if (op.idempotent) idempotentValues.add(op.value);
  for (const [p, log] of finalLogs) {
    const count = new Map<number, number>();
    for (const value of log) {
      if (!idempotentValues.has(value)) continue;
      v.checked(11);
      const n = (count.get(value) ?? 0) + 1;
      count.set(value, n);
      if (n === 2) v.add(11, endMs, `idempotent value=${value} appears twice in p=${p}`);
    }
  }
}

/** 12: a producer's successive acks=all sends to one partition get increasing offsets. */
function checkProducerOrder(h: History, v: Violations, endMs: number): void {
  const last = new Map<string, { offset: number; value: number }>();
  for (const op of h.produces) {
    if (op.outcome !== "ok" || op.acks !== -1) continue;
    v.checked(12);
    const key = `${op.producer}:${op.partition}`;
    const prior = last.get(key);
    if (prior !== undefined && op.offset <= prior.offset) {
      v.add(
        12,
        endMs,
        `${op.producer} p=${op.partition}: value ${op.value} at ${op.offset} after ${prior.value} at ${prior.offset}`,
      );
    }
    last.set(key, { offset: op.offset, value: op.value });
  }
}

/** 13 and 14: within one assignment, a consumer's polls of a partition go up by exactly one. */
function checkConsumerOrder(h: History, v: Violations): void {
  const last = new Map<string, PollRecord>();
  for (const r of h.polls) {
    const key = `${r.consumer}:${r.partition}`;
    const prior = last.get(key);
    last.set(key, r);
    if (prior === undefined || prior.assignmentEpoch !== r.assignmentEpoch) continue;
    v.checked(13);
    v.checked(14);
    if (r.offset <= prior.offset) {
      v.add(13, r.atMs, `${r.consumer} p=${r.partition} went back from ${prior.offset} to ${r.offset}`);
    } else if (r.offset > prior.offset + 1) {
      v.add(14, r.atMs, `${r.consumer} p=${r.partition} skipped from ${prior.offset} to ${r.offset}`);
    }
  }
}

/**
 * 17: nothing polled that was never produced, and every offset below a group's final accepted commit
 * was delivered to some member of that group.
 */
function checkPhantomsAndDelivery(h: History, finalLogs: FinalLogs, v: Violations, endMs: number): void {
  const produced = new Set<number>();
  for (const op of h.produces) produced.add(op.value);
  const delivered = new Map<string, Set<number>>();
  for (const r of h.polls) {
    v.checked(17);
    if (!produced.has(r.value))
      v.add(17, r.atMs, `${r.consumer} polled phantom value ${r.value} at p=${r.partition}/${r.offset}`);
    const key = `${r.group}:${r.partition}`;
    let set = delivered.get(key);
    if (set === undefined) {
      set = new Set();
      delivered.set(key, set);
    }
    set.add(r.offset);
  }
  const finalCommit = new Map<string, number>();
  for (const c of h.commits) {
    if (!c.accepted) continue;
    const key = `${c.group}:${c.partition}`;
    finalCommit.set(key, Math.max(finalCommit.get(key) ?? 0, c.offset));
  }
  for (const [key, committed] of finalCommit) {
    const set = delivered.get(key) ?? new Set<number>();
    const p = Number(key.slice(key.lastIndexOf(":") + 1));
    const logLength = finalLogs.get(p)?.length ?? 0;
    const log = finalLogs.get(p);
    for (let o = 0; o < committed; o++) {
      // Retention deleted it: a consumer behind the log start skips it (auto.offset.reset).
      if (log?.[o] === retentionDeletedValue) continue;
      v.checked(17);
      if (!set.has(o)) {
        v.add(
          17,
          endMs,
          `group ${key}: offset ${o} below committed ${committed} (log ${logLength}) was never delivered`,
        );
        break;
      }
    }
  }
}
