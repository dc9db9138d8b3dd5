/**
 * Builds the `LogStore` and `StateStore` services over any `Files` (the memory disk or node:fs).
 * It owns the registry of open partitions, the Effect boundary (thrown `StorageError`s become
 * typed failures, anything else a defect), flush policy after appends, and clean close when the
 * layer's scope ends. It must never hold wall-clock time: times come from Effect's Clock or from
 * the caller's `nowMs`.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import type * as Scope from "effect/Scope";
import { type LogConfig, logConfigDefault, logConfigProblem } from "../port/log-config.ts";
import {
  LogStore,
  partitionDirName,
  partitionFromDirName,
  type TopicPartition,
  topicNameProblem,
} from "../port/log-store.ts";
import {
  type CommittedOffset,
  groupMetadataShardsMax,
  type MetadataSnapshot,
  type ProducerStateSnapshot,
  StateStore,
} from "../port/state-store.ts";
import { StorageError, storageError } from "../port/storage-error.ts";
import { decodeStoredJson } from "../port/stored-json.ts";
import { FileFault, type Files } from "./files.ts";
import { StoredGroupOffsets } from "./group-offsets-schema.ts";
import { IndexCache, indexCacheBytesDefault } from "./index-cache.ts";
import { PartitionLog, toStorageError } from "./partition-log.ts";
import {
  groupMetadataTopic,
  metadataDirPath,
  metadataSnapshotFileName,
  producerIdCursorPartition,
  producerStateFileName,
  quorumStatePath,
} from "./state-files.ts";
import { TailBudget } from "./tail-budget.ts";

/** Open partitions per store; a broker with more is misconfigured. */
export const openPartitionsMax = 1 << 20;
/** Committed offsets kept per group. */
export const groupOffsetsMax = 1 << 20;
/**
 * Recent bytes per partition served from memory by default: no narrower than the engine-wide
 * budget, so one busy partition may use all of it while the others are idle.
 */
export const tailCacheBytesDefault = 256 * 1024 * 1024;
/**
 * Recent bytes served from memory across all partitions of one engine by default; the batch
 * appended longest ago leaves first. Consumers that keep up, or read back the last few hundred
 * megabytes, are served without a system call or a copy; memory stays bounded however many
 * partitions there are.
 */
export const tailCacheBytesTotalDefault = 256 * 1024 * 1024;
/** Bytes of one state payload (quorum state, snapshot, producer state). */
export const statePayloadBytesMax = 1 << 30;

/** Options shared by both engines. */
export interface EngineOptions {
  readonly files: Files;
  readonly dataDir: string;
  /** Engine-wide defaults; `openPartition` may override per partition (topic configs). */
  readonly config?: Partial<LogConfig> | undefined;
  /** Bytes of recent batches per partition served from memory (default `tailCacheBytesDefault`, 256 MiB). */
  readonly tailCacheBytesMax?: number | undefined;
  /** Bytes of recent batches served from memory across all partitions (default `tailCacheBytesTotalDefault`, 256 MiB). */
  readonly tailCacheBytesTotalMax?: number | undefined;
  /**
   * Bytes of index mirrors of inactive segments kept loaded across all partitions (default
   * `indexCacheBytesDefault`, 8 MiB); the rest are reloaded from their index files when read.
   */
  readonly indexCacheBytesMax?: number | undefined;
  /** Where recovery and offline notices go (default: Effect's logger at warning level). */
  readonly logLine?: ((line: string) => void) | undefined;
  /** Runs before every operation; the memory engine adds latency faults here. */
  readonly beforeOperation?: Effect.Effect<void> | undefined;
}

type LogStoreShape = LogStore["Service"];
type StateStoreShape = StateStore["Service"];

function isExpected(error: unknown): boolean {
  return error instanceof StorageError || error instanceof FileFault;
}

/** Runs synchronous storage code: StorageError and FileFault fail the Effect, anything else is a defect. */
function attempt<A>(subject: string, f: () => A): Effect.Effect<A, StorageError> {
  return Effect.suspend(() => {
    try {
      return Effect.succeed(f());
    } catch (error) {
      if (isExpected(error)) return Effect.fail(toStorageError(error, subject));
      return Effect.die(error);
    }
  });
}

/** Runs asynchronous storage code with the same error rules as `attempt`. */
function attemptAsync<A>(subject: string, f: () => Promise<A>): Effect.Effect<A, StorageError> {
  return Effect.flatMap(
    Effect.promise(() =>
      (async () => f())().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ),
    (outcome): Effect.Effect<A, StorageError> => {
      if (outcome.ok) return Effect.succeed(outcome.value);
      if (isExpected(outcome.error)) return Effect.fail(toStorageError(outcome.error, subject));
      return Effect.die(outcome.error);
    },
  );
}

function nameOf(tp: TopicPartition): string {
  return partitionDirName(tp);
}

/** Builds a `LogStore` whose partitions close cleanly when the scope ends. */
export function makeLogStore(options: EngineOptions): Effect.Effect<LogStoreShape, never, Scope.Scope> {
  return Effect.gen(function* () {
    const { files, dataDir } = options;
    const base: LogConfig = { ...logConfigDefault, ...options.config };
    const baseProblem = logConfigProblem(base);
    if (baseProblem !== null) return yield* Effect.die(new RangeError(`storage config: ${baseProblem}`));
    const logs = new Map<string, PartitionLog>();
    const pending: Array<string> = [];
    const logLine = options.logLine ?? ((line: string) => pending.push(line));
    const drainLog = Effect.suspend(() => {
      if (pending.length === 0) return Effect.void;
      const lines = pending.splice(0);
      return Effect.forEach(lines, (line) => Effect.logWarning(line), { discard: true });
    });
    const before = options.beforeOperation ?? Effect.void;
    const tailBudget = new TailBudget(options.tailCacheBytesTotalMax ?? tailCacheBytesTotalDefault);
    const indexCache = new IndexCache(options.indexCacheBytesMax ?? indexCacheBytesDefault);
    files.makeDir(dataDir);
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const open = [...logs.values()];
        logs.clear();
        for (const log of open) await log.close();
      }),
    );

    const checkPartition = (tp: TopicPartition): StorageError | null => {
      const problem = topicNameProblem(tp.topic);
      if (problem !== null) return storageError("NotFound", nameOf(tp), problem);
      if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition > 2 ** 31 - 1) {
        return storageError(
          "NotFound",
          nameOf(tp),
          `partition ${tp.partition} is not a valid partition number`,
        );
      }
      return null;
    };

    const openLog = (tp: TopicPartition, config: LogConfig, nowMs: number): PartitionLog => {
      const invalid = checkPartition(tp);
      if (invalid !== null) throw invalid;
      if (logs.size >= openPartitionsMax) {
        throw storageError("Io", nameOf(tp), `more than ${openPartitionsMax} open partitions`);
      }
      const log = PartitionLog.open({
        files,
        dir: `${dataDir}/${nameOf(tp)}`,
        name: nameOf(tp),
        config,
        tailCacheBytesMax: options.tailCacheBytesMax ?? tailCacheBytesDefault,
        tailBudget,
        indexCache,
        logLine,
        nowMs,
      });
      logs.set(nameOf(tp), log);
      return log;
    };

    /** The open log of `tp`, opening a stored one with engine defaults; NotFound when absent. */
    const existing = (tp: TopicPartition, nowMs: number): PartitionLog => {
      const open = logs.get(nameOf(tp));
      if (open !== undefined) {
        if (open.offline !== null) throw open.offline;
        return open;
      }
      const invalid = checkPartition(tp);
      if (invalid !== null) throw invalid;
      if (!files.exists(`${dataDir}/${nameOf(tp)}`)) {
        throw storageError("NotFound", nameOf(tp), "no such partition");
      }
      const log = openLog(tp, base, nowMs);
      if (log.offline !== null) throw log.offline;
      return log;
    };

    /** Runs `body` after `beforeOperation` with the clock's time, then hands on the log lines it produced. */
    const timed = <A>(
      body: (nowMs: number) => Effect.Effect<A, StorageError>,
    ): Effect.Effect<A, StorageError> =>
      Effect.flatMap(before, () =>
        Effect.flatMap(Clock.currentTimeMillis, (nowMs) => Effect.ensuring(body(nowMs), drainLog)),
      );
    const sync = <A>(tp: TopicPartition, f: (log: PartitionLog) => A) =>
      timed((nowMs) => attempt(nameOf(tp), () => f(existing(tp, nowMs))));
    const async = <A>(tp: TopicPartition, f: (log: PartitionLog, nowMs: number) => Promise<A>) =>
      timed((nowMs) => attemptAsync(nameOf(tp), () => f(existing(tp, nowMs), nowMs)));

    const store: LogStoreShape = {
      openPartition: (tp, config) =>
        timed((nowMs) =>
          attempt(nameOf(tp), () => {
            const merged: LogConfig = { ...base, ...config };
            const problem = logConfigProblem(merged);
            if (problem !== null) throw storageError("Io", nameOf(tp), `invalid log config: ${problem}`);
            const open = logs.get(nameOf(tp));
            const log = open ?? openLog(tp, merged, nowMs);
            log.config = merged;
            if (log.offline !== null) throw log.offline;
            return log.info();
          }),
        ),
      deletePartition: (tp) =>
        Effect.flatMap(before, () =>
          attempt(nameOf(tp), () => {
            const invalid = checkPartition(tp);
            if (invalid !== null) throw invalid;
            const open = logs.get(nameOf(tp));
            logs.delete(nameOf(tp));
            if (open !== undefined) open.deleteAll();
            else files.remove(`${dataDir}/${nameOf(tp)}`);
          }),
        ),
      partitions: () =>
        Effect.flatMap(before, () =>
          attempt(dataDir, () =>
            files
              .list(dataDir)
              .map(partitionFromDirName)
              .filter((tp): tp is TopicPartition => tp !== null)
              .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1)),
          ),
        ),
      info: (tp) => sync(tp, (log) => log.info()),
      append: (tp, batches, nowMs) =>
        Effect.flatMap(
          sync(tp, (log) => ({ result: log.append(batches, nowMs), due: log.flushDue(nowMs), log })),
          ({ result, due, log }) =>
            due
              ? Effect.as(
                  attemptAsync(nameOf(tp), () => log.flush()),
                  result,
                )
              : Effect.succeed(result),
        ),
      read: (tp, request) => sync(tp, (log) => log.read(request)),
      offsetForTimestamp: (tp, timestampMs) => sync(tp, (log) => log.offsetForTimestamp(timestampMs)),
      truncateTo: (tp, offset) => sync(tp, (log) => log.truncateTo(offset)),
      truncateFullyAndStartAt: (tp, offset) =>
        async(tp, (log, nowMs) => log.truncateFullyAndStartAt(offset, nowMs)),
      advanceLogStart: (tp, offset) => async(tp, (log) => log.advanceLogStart(offset)),
      applyRetention: (tp, request) => sync(tp, (log) => log.applyRetention(request)),
      roll: (tp, nowMs) => sync(tp, (log) => log.roll(nowMs)),
      flush: (tp) => async(tp, (log) => log.flush()),
      segments: (tp) => sync(tp, (log) => log.segmentInfos()),
      readLeaderEpochs: (tp) => sync(tp, (log) => log.readLeaderEpochs()),
      writeLeaderEpochs: (tp, entries) => async(tp, (log) => log.writeLeaderEpochs(entries)),
    };
    return store;
  });
}

// ------------------------------------------------------------------ state store

const stateDirName = "eddy-state";

/** Group ids whose hex form is longer than this are stored under a hash (file names stop at 255 bytes). */
const groupFileHexMax = 200;

/**
 * The file name of a group's offsets: `g-<hex of the id>`, or `h-<sha256>` for long ids (the id is
 * also stored inside the file, so listing reads those few files).
 */
function groupFileName(groupId: string): string {
  const utf8 = new TextEncoder().encode(groupId);
  const hex = bytesToHex(utf8);
  if (hex.length <= groupFileHexMax) return `g-${hex}.json`;
  // A pure-JS SHA-256 (@noble/hashes) rather than Bun's hasher or node:crypto: the same digest, and
  // the engine also loads under Deno and Node and in a browser (the teaching studio).
  return `h-${bytesToHex(sha256(utf8))}.json`;
}

/** Builds a `StateStore` keeping Kafka's file names where Kafka has them. */
export function makeStateStore(options: EngineOptions): Effect.Effect<StateStoreShape> {
  return Effect.sync(() => {
    const { files, dataDir } = options;
    const before = options.beforeOperation ?? Effect.void;
    const groupsDir = `${dataDir}/${stateDirName}/groups`;
    const metadataDir = metadataDirPath(dataDir);
    const encoder = new TextEncoder();

    const run = <A>(subject: string, f: () => A) => Effect.flatMap(before, () => attempt(subject, f));
    const runAsync = <A>(subject: string, f: () => Promise<A>) =>
      Effect.flatMap(before, () => attemptAsync(subject, f));

    // A group file that does not decode fails the read naming the file and the field; the file is
    // left as it is, and a commit to that group fails too rather than overwrite what it holds.
    const readGroup = (groupId: string): Array<CommittedOffset> => {
      const path = `${groupsDir}/${groupFileName(groupId)}`;
      const bytes = files.readAll(path);
      if (bytes === null) return [];
      const source = `committed offsets ${path}`;
      const stored = decodeStoredJson(StoredGroupOffsets, source, bytes);
      if (stored.groupId !== groupId) {
        throw storageError(
          "Corrupt",
          source,
          `field groupId: expected ${JSON.stringify(groupId)} (the group the file is named for), got ${JSON.stringify(stored.groupId)}`,
        );
      }
      return [...stored.offsets];
    };
    const writeGroup = async (groupId: string, offsets: ReadonlyArray<CommittedOffset>) => {
      files.makeDir(groupsDir);
      const path = `${groupsDir}/${groupFileName(groupId)}`;
      if (offsets.length === 0) {
        files.remove(path);
        await files.syncDir(groupsDir);
        return;
      }
      await files.writeAtomic(path, encoder.encode(JSON.stringify({ groupId, offsets })));
    };
    const checkPayload = (subject: string, bytes: Uint8Array) => {
      if (bytes.length > statePayloadBytesMax) {
        throw storageError("Io", subject, `payload of ${bytes.length} bytes exceeds ${statePayloadBytesMax}`);
      }
    };
    const snapshotName = /^(\d{20})-(\d{10})\.checkpoint$/;
    const listSnapshots = () =>
      files
        .list(metadataDir)
        .map((name) => snapshotName.exec(name))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ name: m[0], endOffset: Number(m[1]), epoch: Number(m[2]) }))
        .sort((a, b) => a.endOffset - b.endOffset || a.epoch - b.epoch);
    const producerName = /^(\d{20})\.snapshot$/;

    /**
     * Replaces the one `<20-digit version>.snapshot` document of folder `folder` (write, fsync, rename;
     * then the other versions go): group metadata shards, the producer-id cursor and producer state
     * are each such a document.
     */
    const saveVersioned = async (folder: string, what: string, version: number, bytes: Uint8Array) => {
      checkPayload(what, bytes);
      const dir = `${dataDir}/${folder}`;
      files.makeDir(dir);
      await files.writeAtomic(`${dir}/${producerStateFileName(version)}`, bytes);
      for (const name of files.list(dir)) {
        const m = producerName.exec(name);
        if (m !== null && Number(m[1]) !== version) files.remove(`${dir}/${name}`);
      }
    };
    /** The latest version of folder `folder`'s document, or null. */
    const loadVersioned = (folder: string): { offset: number; bytes: Uint8Array } | null => {
      const dir = `${dataDir}/${folder}`;
      const latest = files
        .list(dir)
        .map((name) => producerName.exec(name))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ name: m[0], offset: Number(m[1]) }))
        .sort((a, b) => a.offset - b.offset)
        .at(-1);
      if (latest === undefined) return null;
      const bytes = files.readAll(`${dir}/${latest.name}`);
      return bytes === null ? null : { offset: latest.offset, bytes };
    };

    const store: StateStoreShape = {
      commitGroupOffsets: (groupId, offsets) =>
        runAsync(`group ${groupId}`, async () => {
          const merged = new Map(readGroup(groupId).map((o) => [`${o.topic}\u0000${o.partition}`, o]));
          for (const o of offsets) {
            if (!Number.isSafeInteger(o.offset) || topicNameProblem(o.topic) !== null) {
              throw storageError("Io", `group ${groupId}`, `invalid committed offset ${JSON.stringify(o)}`);
            }
            merged.set(`${o.topic}\u0000${o.partition}`, { ...o });
          }
          if (merged.size > groupOffsetsMax) {
            throw storageError("Io", `group ${groupId}`, `more than ${groupOffsetsMax} committed offsets`);
          }
          await writeGroup(groupId, [...merged.values()]);
        }),
      groupOffsets: (groupId) => run(`group ${groupId}`, () => readGroup(groupId)),
      deleteGroupOffsets: (groupId, partitions) =>
        runAsync(`group ${groupId}`, async () => {
          if (partitions === undefined) return writeGroup(groupId, []);
          const drop = new Set(partitions.map((tp) => `${tp.topic}\u0000${tp.partition}`));
          await writeGroup(
            groupId,
            readGroup(groupId).filter((o) => !drop.has(`${o.topic}\u0000${o.partition}`)),
          );
        }),
      groups: () =>
        run("groups", () =>
          files
            .list(groupsDir)
            .filter((name) => /^[gh]-[0-9a-f]+\.json$/.test(name))
            .map((name) => {
              if (name.startsWith("g-")) return new TextDecoder().decode(hexToBytes(name.slice(2, -5)));
              const path = `${groupsDir}/${name}`;
              const bytes = files.readAll(path);
              if (bytes === null) throw storageError("NotFound", "groups", `${path} vanished`);
              return decodeStoredJson(StoredGroupOffsets, `committed offsets ${path}`, bytes).groupId;
            })
            .sort(),
        ),
      saveQuorumState: (bytes) =>
        runAsync("quorum-state", async () => {
          checkPayload("quorum-state", bytes);
          files.makeDir(metadataDir);
          await files.writeAtomic(quorumStatePath(dataDir), bytes);
        }),
      loadQuorumState: () => run("quorum-state", () => files.readAll(quorumStatePath(dataDir))),
      saveMetadataSnapshot: (snapshot: MetadataSnapshot) =>
        runAsync("metadata snapshot", async () => {
          checkPayload("metadata snapshot", snapshot.bytes);
          files.makeDir(metadataDir);
          const name = metadataSnapshotFileName(snapshot.endOffset, snapshot.epoch);
          await files.writeAtomic(`${metadataDir}/${name}`, snapshot.bytes);
        }),
      latestMetadataSnapshot: () =>
        run("metadata snapshot", () => {
          const latest = listSnapshots().at(-1);
          if (latest === undefined) return null;
          const bytes = files.readAll(`${metadataDir}/${latest.name}`);
          if (bytes === null) throw storageError("NotFound", "metadata snapshot", `${latest.name} vanished`);
          return { endOffset: latest.endOffset, epoch: latest.epoch, bytes };
        }),
      deleteMetadataSnapshotsBefore: (endOffset) =>
        runAsync("metadata snapshot", async () => {
          for (const s of listSnapshots()) {
            if (s.endOffset < endOffset) files.remove(`${metadataDir}/${s.name}`);
          }
          await files.syncDir(metadataDir);
        }),
      saveGroupMetadataShard: (shard, document) =>
        runAsync(`group metadata shard ${shard}`, async () => {
          if (!Number.isInteger(shard) || shard < 0 || shard >= groupMetadataShardsMax)
            throw storageError(
              "NotFound",
              "group metadata",
              `shard ${shard} is not in 0..${groupMetadataShardsMax - 1}`,
            );
          await saveVersioned(
            `${groupMetadataTopic}-${shard}`,
            "group metadata",
            document.version,
            document.bytes,
          );
        }),
      loadGroupMetadataShard: (shard) =>
        run(`group metadata shard ${shard}`, () => {
          const latest = loadVersioned(`${groupMetadataTopic}-${shard}`);
          return latest === null ? null : { version: latest.offset, bytes: latest.bytes };
        }),
      saveProducerIdCursor: (cursor) =>
        runAsync("producer-id cursor", () =>
          saveVersioned(
            nameOf(producerIdCursorPartition),
            "producer-id cursor",
            cursor.version,
            cursor.bytes,
          ),
        ),
      loadProducerIdCursor: () =>
        run("producer-id cursor", () => {
          const latest = loadVersioned(nameOf(producerIdCursorPartition));
          return latest === null ? null : { version: latest.offset, bytes: latest.bytes };
        }),
      saveProducerState: (tp, snapshot: ProducerStateSnapshot) =>
        runAsync(`${nameOf(tp)} producer state`, () =>
          saveVersioned(nameOf(tp), "producer state", snapshot.offset, snapshot.bytes),
        ),
      loadProducerState: (tp) => run(`${nameOf(tp)} producer state`, () => loadVersioned(nameOf(tp))),
    };
    return store;
  });
}

/** Both storage services over `options.files`; closing the layer's scope flushes and closes every partition. */
export function engineLayer(options: EngineOptions): Layer.Layer<LogStore | StateStore> {
  return Layer.merge(
    Layer.effect(LogStore, makeLogStore(options)),
    Layer.effect(StateStore, makeStateStore(options)),
  );
}
