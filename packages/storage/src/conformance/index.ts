/**
 * The conformance suite both storage engines run: fast-check sequences of append, read,
 * timestamp lookup, truncate, roll, retention, log-start moves, flush and restart, each compared
 * with the naive `LogModel`, plus example tests of the durable-state service. It owns only the
 * checks; it must never import a test runner, so each engine's test file wraps the cases in
 * `test(...)`. Failures throw with the seed, the counterexample and what differed.
 */

import { batchMake } from "@eddy/protocol";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import type * as Layer from "effect/Layer";
import * as ManagedRuntime from "effect/ManagedRuntime";
import fc from "fast-check";
import { type LogConfig, logConfigDefault } from "../port/log-config.ts";
import { LogStore, type TopicPartition } from "../port/log-store.ts";
import { StateStore } from "../port/state-store.ts";
import type { StorageError } from "../port/storage-error.ts";
import { LogModel, type ModelBatch } from "./model.ts";

export { LogModel, type ModelBatch } from "./model.ts";

/** Storage under test: `layer` starts a "process" over the same stored data each time it is built. */
export interface ConformanceStorage {
  readonly layer: (config: Partial<LogConfig>) => Layer.Layer<LogStore | StateStore>;
  readonly cleanup: () => Promise<void>;
  /**
   * Simulates a power loss, for engines that can: "lose" drops unsynced bytes, "keep" keeps them,
   * a number keeps that many unsynced bytes of each file (a torn tail).
   */
  readonly crash?: ((unsynced: "lose" | "keep" | number) => void) | undefined;
}

export interface ConformanceTarget {
  /** Creates empty storage (a fresh memory disk or temp directory). */
  readonly setup: () => Promise<ConformanceStorage>;
}

export interface ConformanceCase {
  readonly name: string;
  readonly run: () => Promise<void>;
}

/** Commands of the model test, as plain data so fast-check can print and shrink them. */
export type Command =
  | {
      readonly kind: "append";
      readonly batches: ReadonlyArray<{ gap: number; records: number; bodyBytes: number; tsStep: number }>;
    }
  | {
      readonly kind: "read";
      readonly at: number;
      readonly maxBytes: number;
      readonly hw: number;
      readonly one: boolean;
    }
  | { readonly kind: "timestamp"; readonly at: number }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "truncateFully"; readonly ahead: number }
  | { readonly kind: "roll" }
  | { readonly kind: "retention"; readonly advanceMs: number; readonly hw: number }
  | { readonly kind: "advanceStart"; readonly at: number }
  | { readonly kind: "flush" }
  | { readonly kind: "restart" }
  | { readonly kind: "crash"; readonly unsynced: "lose" | "keep" | number };

const fraction = fc.double({ min: -0.1, max: 1.1, noNaN: true });

export const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      batches: fc.array(
        fc.record({
          gap: fc.oneof(
            { weight: 6, arbitrary: fc.constant(0) },
            { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) },
          ),
          records: fc.integer({ min: 1, max: 8 }),
          bodyBytes: fc.integer({ min: 0, max: 160 }),
          tsStep: fc.integer({ min: -20, max: 120 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("read" as const),
      at: fraction,
      maxBytes: fc.integer({ min: 0, max: 1200 }),
      hw: fc.double({ min: 0, max: 1.2, noNaN: true }),
      one: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("timestamp" as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fraction }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("truncateFully" as const),
      ahead: fc.integer({ min: -3, max: 10 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("roll" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("retention" as const),
      advanceMs: fc.integer({ min: 0, max: 3000 }),
      hw: fc.double({ min: 0, max: 1.2, noNaN: true }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("advanceStart" as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("flush" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
);

/** Commands for engines that can crash. */
export const crashCommandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: commandArbitrary },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("crash" as const),
      unsynced: fc.oneof(
        fc.constant<"lose">("lose"),
        fc.constant<"keep">("keep"),
        fc.integer({ min: 0, max: 400 }),
      ),
    }),
  },
);

export const configArbitrary: fc.Arbitrary<LogConfig> = fc.record({
  segmentBytesMax: fc.integer({ min: 61, max: 2000 }),
  rollMs: fc.integer({ min: 1, max: 2000 }),
  retentionMs: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4000 })),
  retentionBytesMax: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 3000 })),
  indexIntervalBytes: fc.integer({ min: 0, max: 600 }),
  indexBytesMax: fc.oneof(fc.constant(logConfigDefault.indexBytesMax), fc.integer({ min: 32, max: 120 })),
  flushIntervalMessages: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 1, max: 20 })),
  flushIntervalMs: fc.constant(Number.POSITIVE_INFINITY),
});

const tp: TopicPartition = { topic: "conformance", partition: 3 };

class Mismatch extends Error {
  override readonly name = "Mismatch";
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = stringify(actual);
  const e = stringify(expected);
  if (a !== e) throw new Mismatch(`${what}\n  engine: ${a}\n  model:  ${e}`);
}

function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v instanceof Uint8Array ? `bytes(${v.length}):${hashBytes(v)}` : v,
  );
}

function hashBytes(bytes: Uint8Array): string {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619);
  return (h >>> 0).toString(16);
}

type Outcome<A> = { ok: true; value: A } | { ok: false; reason: string };

function pick(model: LogModel, at: number): number {
  const span = model.logEnd - model.logStart;
  return Math.round(model.logStart + at * span);
}

/** Runs one command sequence against an engine and the model. */
export async function runCommands(
  storage: ConformanceStorage,
  config: LogConfig,
  commands: ReadonlyArray<Command>,
): Promise<void> {
  const model = new LogModel(config);
  let runtime = ManagedRuntime.make(storage.layer(config));
  const run = async <A>(
    f: (logs: LogStore["Service"]) => Effect.Effect<A, StorageError>,
  ): Promise<Outcome<A>> => {
    const exit = await runtime.runPromiseExit(LogStore.use(f));
    if (Exit.isSuccess(exit)) return { ok: true, value: exit.value };
    const error = exit.cause.reasons.find((r) => r._tag === "Fail");
    if (error === undefined) throw new Error(`defect: ${String(exit.cause)}`);
    return { ok: false, reason: (error.error as StorageError).reason._tag };
  };
  const must = async <A>(f: (logs: LogStore["Service"]) => Effect.Effect<A, StorageError>, what: string) => {
    const out = await run(f);
    if (!out.ok) throw new Mismatch(`${what} failed with ${out.reason}`);
    return out.value;
  };
  let nowMs = 1_000_000;
  let timestampMs = 1_000_000;
  /** Every offset below this was made durable (by flush, flush policy, clean close or recovery). */
  let durableFloor = 0;
  try {
    await must((logs) => logs.openPartition(tp, config), "open");
    for (let step = 0; step < commands.length; step++) {
      const command = commands[step]!;
      const where = `step ${step} ${JSON.stringify(command)}`;
      switch (command.kind) {
        case "append": {
          let next = model.logEnd;
          const batches: Array<ModelBatch> = command.batches.map((b) => {
            timestampMs = Math.max(0, timestampMs + b.tsStep);
            const baseOffset = next + b.gap;
            const bytes = batchMake({
              baseOffset,
              recordCount: b.records,
              baseTimestampMs: timestampMs,
              maxTimestampMs: timestampMs + b.records,
              body: new Uint8Array(b.bodyBytes).fill(step & 0xff),
            });
            next = baseOffset + b.records;
            return {
              baseOffset,
              lastOffset: baseOffset + b.records - 1,
              maxTimestampMs: timestampMs + b.records,
              bytes,
            };
          });
          const joined = new Uint8Array(batches.reduce((n, b) => n + b.bytes.length, 0));
          let at = 0;
          for (const b of batches) {
            joined.set(b.bytes, at);
            at += b.bytes.length;
          }
          nowMs += 10;
          const result = await must((logs) => logs.append(tp, joined, nowMs), where);
          model.append(batches, nowMs);
          durableFloor = Math.max(durableFloor, (await must((logs) => logs.info(tp), where)).flushedOffset);
          same(
            [result.firstOffset, result.lastOffset, result.logEndOffset],
            [batches[0]!.baseOffset, batches[batches.length - 1]!.lastOffset, model.logEnd],
            where,
          );
          break;
        }
        case "read": {
          const fetchOffset = pick(model, command.at);
          const hw = Math.round(model.logStart + command.hw * (model.logEnd - model.logStart));
          const request = {
            fetchOffset,
            maxBytes: command.maxBytes,
            maxOffsetExclusive: hw,
            minOneBatch: command.one,
          };
          const actual = await run((logs) => logs.read(tp, request));
          const expected = model.read(fetchOffset, command.maxBytes, hw, command.one);
          same(actual, expected, `${where} read ${JSON.stringify(request)}`);
          break;
        }
        case "timestamp": {
          const target = Math.round(1_000_000 + command.at * (timestampMs - 1_000_000 + 50));
          const actual = await must((logs) => logs.offsetForTimestamp(tp, target), where);
          same(actual, model.offsetForTimestamp(target), `${where} timestamp ${target}`);
          break;
        }
        case "truncate": {
          const offset = Math.max(0, pick(model, command.at));
          const actual = await run((logs) => logs.truncateTo(tp, offset));
          const expected = model.truncateTo(offset);
          same(actual.ok, expected.ok, `${where} truncate to ${offset}`);
          durableFloor = Math.min(durableFloor, model.logEnd);
          break;
        }
        case "truncateFully": {
          const offset = Math.max(0, model.logEnd + command.ahead);
          await must((logs) => logs.truncateFullyAndStartAt(tp, offset), where);
          model.truncateFullyAndStartAt(offset);
          durableFloor = offset;
          break;
        }
        case "roll": {
          nowMs += 1;
          await must((logs) => logs.roll(tp, nowMs), where);
          model.roll();
          break;
        }
        case "retention": {
          nowMs += command.advanceMs;
          const limit = Math.round(model.logStart + command.hw * (model.logEnd - model.logStart));
          const request = { nowMs: timestampMs + command.advanceMs, offsetLimit: limit };
          const actual = await must((logs) => logs.applyRetention(tp, request), where);
          same(
            actual,
            model.applyRetention(request.nowMs, limit),
            `${where} retention ${JSON.stringify(request)}`,
          );
          break;
        }
        case "advanceStart": {
          const offset = pick(model, command.at);
          const actual = await run((logs) => logs.advanceLogStart(tp, offset));
          const expected = model.advanceLogStart(offset);
          same(actual.ok, expected.ok, `${where} advance start to ${offset}`);
          break;
        }
        case "flush": {
          const flushed = await must((logs) => logs.flush(tp), where);
          same(flushed, model.logEnd, `${where} flushed offset`);
          durableFloor = flushed;
          break;
        }
        case "restart": {
          await runtime.dispose();
          runtime = ManagedRuntime.make(storage.layer(config));
          await must((logs) => logs.openPartition(tp, config), where);
          model.restart();
          durableFloor = model.logEnd;
          break;
        }
        case "crash": {
          if (storage.crash === undefined) break;
          storage.crash(command.unsynced);
          await runtime.dispose();
          runtime = ManagedRuntime.make(storage.layer(config));
          const recovered = await must((logs) => logs.openPartition(tp, config), where);
          const end = recovered.logEndOffset;
          if (end < durableFloor || end > model.logEnd || !model.isBoundary(end)) {
            throw new Mismatch(
              `${where}: recovered log end ${end} is not a batch boundary in [${durableFloor}, ${model.logEnd}]`,
            );
          }
          if (command.unsynced === "keep") same(end, model.logEnd, `${where}: nothing lost`);
          model.crash(end);
          durableFloor = end;
          break;
        }
      }
      const info = await must((logs) => logs.info(tp), `${where} info`);
      same(
        [info.logStartOffset, info.logEndOffset, info.sizeBytes, info.segmentCount],
        [model.logStart, model.logEnd, model.totalBytes(), model.segments.length],
        `${where}: info`,
      );
      const segments = await must((logs) => logs.segments(tp), `${where} segments`);
      same(
        segments.map((s) => ({
          baseOffset: s.baseOffset,
          sizeBytes: s.sizeBytes,
          maxTimestampMs: s.maxTimestampMs,
          active: s.active,
        })),
        model.segmentInfos(),
        `${where}: segments`,
      );
    }
    // Finally every stored batch must read back exactly, one fetch per batch.
    for (const batch of model.batches()) {
      if (batch.lastOffset < model.logStart) continue;
      const from = Math.max(batch.baseOffset, model.logStart);
      const read = await must((logs) => logs.read(tp, { fetchOffset: from, maxBytes: 1 }), "final read");
      same(read.records, batch.bytes, `final read of batch ${batch.baseOffset}`);
    }
  } finally {
    await runtime.dispose();
  }
}

const longGroup = `group-${"x".repeat(300)}`;

/** Example checks of the durable-state service and the leader-epoch checkpoint, across a restart. */
export async function runStateChecks(storage: ConformanceStorage): Promise<void> {
  const first = ManagedRuntime.make(storage.layer({}));
  const offset = (topic: string, partition: number, value: number) => ({
    topic,
    partition,
    offset: value,
    leaderEpoch: 3,
    metadata: "m",
    commitTimestampMs: 7,
  });
  try {
    await first.runPromise(
      StateStore.use((state) =>
        Effect.gen(function* () {
          yield* state.commitGroupOffsets("group/ü", [offset("a", 0, 5), offset("a", 1, 9)]);
          yield* state.commitGroupOffsets("group/ü", [offset("a", 0, 6)]);
          yield* state.commitGroupOffsets("other", [offset("b", 0, 1)]);
          yield* state.commitGroupOffsets(longGroup, [offset("c", 2, 3)]);
          yield* state.deleteGroupOffsets("other");
          yield* state.saveQuorumState(new Uint8Array([1, 2, 3]));
          yield* state.saveMetadataSnapshot({ endOffset: 10, epoch: 1, bytes: new Uint8Array([10]) });
          yield* state.saveMetadataSnapshot({ endOffset: 20, epoch: 2, bytes: new Uint8Array([20]) });
          yield* state.deleteMetadataSnapshotsBefore(15);
          yield* state.saveProducerState(tp, { offset: 4, bytes: new Uint8Array([4]) });
          yield* state.saveProducerState(tp, { offset: 8, bytes: new Uint8Array([8]) });
          yield* state.saveGroupMetadataShard(3, { version: 1, bytes: new Uint8Array([31]) });
          yield* state.saveGroupMetadataShard(3, { version: 2, bytes: new Uint8Array([32]) });
          yield* state.saveGroupMetadataShard(5, { version: 7, bytes: new Uint8Array([57]) });
          yield* state.saveProducerIdCursor({ version: 1000, bytes: new Uint8Array([1]) });
          yield* state.saveProducerIdCursor({ version: 2000, bytes: new Uint8Array([2]) });
          const outside = yield* Effect.flip(
            state.saveGroupMetadataShard(-1, { version: 1, bytes: new Uint8Array([0]) }),
          );
          same(outside.reason._tag, "NotFound", "a group metadata shard outside the range is refused");
          yield* LogStore.use((logs) =>
            Effect.gen(function* () {
              yield* logs.openPartition(tp);
              yield* logs.writeLeaderEpochs(tp, [{ epoch: 0, startOffset: 0 }]);
              yield* logs.writeLeaderEpochs(tp, [
                { epoch: 1, startOffset: 0 },
                { epoch: 4, startOffset: 17 },
              ]);
              const bad = yield* Effect.flip(
                logs.writeLeaderEpochs(tp, [
                  { epoch: 4, startOffset: 0 },
                  { epoch: 3, startOffset: 1 },
                ]),
              );
              same(bad.reason._tag, "Io", "decreasing leader epochs are rejected");
            }),
          );
        }),
      ),
    );
  } finally {
    await first.dispose();
  }
  const second = ManagedRuntime.make(storage.layer({}));
  try {
    const seen = await second.runPromise(
      StateStore.use((state) =>
        Effect.gen(function* () {
          return {
            groups: yield* state.groups(),
            offsets: [...(yield* state.groupOffsets("group/ü"))].sort((a, b) => a.partition - b.partition),
            none: yield* state.groupOffsets("nobody"),
            quorum: yield* state.loadQuorumState(),
            snapshot: yield* state.latestMetadataSnapshot(),
            producer: yield* state.loadProducerState(tp),
            shard3: yield* state.loadGroupMetadataShard(3),
            shard5: yield* state.loadGroupMetadataShard(5),
            shard0: yield* state.loadGroupMetadataShard(0),
            cursor: yield* state.loadProducerIdCursor(),
            epochs: yield* LogStore.use((logs) => logs.readLeaderEpochs(tp)),
          };
        }),
      ),
    );
    same(seen.groups, [longGroup, "group/ü"], "groups");
    same(
      seen.epochs,
      [
        { epoch: 1, startOffset: 0 },
        { epoch: 4, startOffset: 17 },
      ],
      "leader epochs",
    );
    same(seen.offsets, [offset("a", 0, 6), offset("a", 1, 9)], "group offsets merge");
    same(seen.none, [], "unknown group");
    same(seen.quorum, new Uint8Array([1, 2, 3]), "quorum state");
    same(seen.snapshot, { endOffset: 20, epoch: 2, bytes: new Uint8Array([20]) }, "latest snapshot");
    same(seen.producer, { offset: 8, bytes: new Uint8Array([8]) }, "producer state");
    // Each kind of document is kept apart and at its latest version: the shards, the cursor and a
    // partition's producer state never read one another.
    same(seen.shard3, { version: 2, bytes: new Uint8Array([32]) }, "group metadata shard 3");
    same(seen.shard5, { version: 7, bytes: new Uint8Array([57]) }, "group metadata shard 5");
    same(seen.shard0, null, "a group metadata shard never saved");
    same(seen.cursor, { version: 2000, bytes: new Uint8Array([2]) }, "producer-id cursor");
  } finally {
    await second.dispose();
  }
}

/** The cases an engine's test file registers. */
export function conformanceCases(
  target: ConformanceTarget,
  options: { readonly numRuns?: number; readonly seed?: number; readonly crashes?: boolean } = {},
): ReadonlyArray<ConformanceCase> {
  const commands = options.crashes === true ? crashCommandArbitrary : commandArbitrary;
  return [
    {
      name: "log matches the naive model under random command sequences",
      run: async () => {
        await fc.assert(
          fc.asyncProperty(
            configArbitrary,
            fc.array(commands, { maxLength: 50 }),
            async (config, commands) => {
              const storage = await target.setup();
              try {
                await runCommands(storage, config, commands);
              } finally {
                await storage.cleanup();
              }
            },
          ),
          { numRuns: options.numRuns ?? 60, ...(options.seed === undefined ? {} : { seed: options.seed }) },
        );
      },
    },
    {
      name: "durable state survives a restart",
      run: async () => {
        const storage = await target.setup();
        try {
          await runStateChecks(storage);
        } finally {
          await storage.cleanup();
        }
      },
    },
  ];
}
