/**
 * The group coordinator on this node: the core's classic coordinator (`group.step`), driven the way
 * its contract prescribes (persist, then respond, then tick), with its durable records kept in the
 * storage port so committed offsets and group membership survive a restart.
 *
 * Durable layout:
 *  - committed offsets: the state store's group offsets (`commitGroupOffsets`, one atomic file per
 *    group in the file engine); offset tombstones delete single partitions, a group tombstone the
 *    whole group.
 *  - group metadata (generation, protocol, leader, members with subscriptions and assignments): one
 *    JSON document per shard of groups, kept as the producer-state snapshot of the pseudo-partition
 *    `__group_metadata-<shard>` (the same trick as `__producer_ids-0`). A shard is rewritten whole,
 *    atomically, when one of its groups changes; user topics cannot start with `__`, so the name
 *    never collides with a topic.
 * At start-up both are read back, decoded with their schemas (`group-metadata-schema.ts`, and the
 * state store's own for offsets), and replayed through a `load` input; a stored value that does not
 * decode stops the start with an error naming its file and field, and nothing stored is rewritten.
 *
 * Owns: request ids, the answers waiting for them (held JoinGroup/SyncGroup requests resolve in a
 * later step), the one-step-at-a-time queue, and the clock fed to the core. Must never answer a
 * request before the records of its step (and of every earlier step) are durable, and must never
 * leave a caller waiting forever: a failed write or a shutdown answers every waiter with `null`
 * (handlers turn that into NOT_COORDINATOR, on which clients rediscover and retry).
 */
import { randomBytes } from "node:crypto";
import { group, invariant } from "@eddy/core";
import {
  type CommittedOffset,
  decodeStoredJson,
  producerStatePath,
  storageError,
  type TopicPartition,
} from "@eddy/storage-memory";
import type { BrokerConfig } from "../config/broker-config.ts";
import { groupMetadataFormatVersion, type StoredGroup, StoredGroupShard } from "./group-metadata-schema.ts";
import { SerialQueue } from "./serial.ts";
import type { Storage } from "./storage.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A request for the coordinator, without the request id the shell assigns. */
export type GroupRequest = DistributiveOmit<
  Exclude<group.Input, group.TickInput | group.LoadInput>,
  "requestId"
>;

/** The core's answer to a request of type `T`. */
export type GroupAnswer<T extends GroupRequest["type"]> = Extract<group.Response, { kind: T }>;

type GroupMetadataRecord = Extract<group.PersistRecord, { kind: "groupMetadata" }>;

/** Requests waiting for an answer (held joins and syncs included); more get NOT_COORDINATOR. */
const waitingAnswersMax = 100_000;
/** How far behind the wall clock a request may be handled before the shell ticks first. */
const requestClockLagMsMax = 250;
/** Steps queued behind the one running. */
const queuedStepsMax = 100_000;
/** Shards of the group-metadata documents; a change rewrites one shard. */
export const metadataShardCount = 8;
const metadataTopic = "__group_metadata";

const encoder = new TextEncoder();

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

function toStored(record: GroupMetadataRecord): StoredGroup {
  return {
    ...record,
    members: record.members.map((m) => ({
      ...m,
      subscription: toBase64(m.subscription),
      assignment: toBase64(m.assignment),
    })),
  };
}

function fromStored(stored: StoredGroup): GroupMetadataRecord {
  return {
    ...stored,
    members: stored.members.map((m) => ({
      ...m,
      subscription: fromBase64(m.subscription),
      assignment: fromBase64(m.assignment),
    })),
  };
}

/** The shard of a group id (FNV-1a over UTF-16 code units: stable across restarts and platforms). */
function metadataShardOf(groupId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < groupId.length; i++) {
    hash ^= groupId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const shard = hash % metadataShardCount;
  invariant(shard >= 0 && shard < metadataShardCount, "group metadata: shard out of range");
  return shard;
}

const shardPartition = (shard: number): TopicPartition => ({ topic: metadataTopic, partition: shard });

/**
 * Every durable group record, decoded, in the order `load` replays them; reads only, so a refused
 * start leaves the stored state as it was. The broker runs it before any shell opens
 * (`stored-state-check.ts`).
 */
export function readGroupRecords(storage: Storage): Promise<group.PersistRecord[]> {
  return new GroupStore(storage).readAll();
}

/** The durable side: reads every record back and writes a step's records. */
class GroupStore {
  /** shard -> groupId -> latest metadata record, mirroring what is on disk. */
  private readonly shards: Map<string, GroupMetadataRecord>[] = [];
  /** shard -> the snapshot "offset" last written (a version counter; the newest file wins). */
  private readonly shardVersions: number[] = [];

  constructor(private readonly storage: Storage) {}

  /** Every durable record, metadata first, in an order `load` replays to the stored state. */
  async readAll(): Promise<group.PersistRecord[]> {
    const { state } = this.storage;
    const records: group.PersistRecord[] = [];
    this.shards.length = 0;
    this.shardVersions.length = 0;
    for (let shard = 0; shard < metadataShardCount; shard++) {
      const snapshot = await this.storage.run(state.loadProducerState(shardPartition(shard)));
      const groups = new Map<string, GroupMetadataRecord>();
      if (snapshot !== null) {
        const path = producerStatePath(this.storage.dataDir, shardPartition(shard), snapshot.offset);
        const source = `group metadata shard ${path}`;
        const parsed = decodeStoredJson(StoredGroupShard, source, snapshot.bytes);
        for (const [i, stored] of parsed.groups.entries()) {
          const home = metadataShardOf(stored.groupId);
          if (home !== shard) {
            throw storageError(
              "Corrupt",
              source,
              `field groups[${i}].groupId: expected a group of shard ${shard}, got ${JSON.stringify(stored.groupId)} (shard ${home})`,
            );
          }
          const record = fromStored(stored);
          groups.set(record.groupId, record);
          records.push(record);
        }
      }
      this.shards.push(groups);
      this.shardVersions.push(snapshot?.offset ?? 0);
    }
    for (const groupId of await this.storage.run(state.groups())) {
      for (const o of await this.storage.run(state.groupOffsets(groupId))) {
        records.push({
          kind: "offsetCommit",
          groupId,
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          leaderEpoch: o.leaderEpoch,
          metadata: o.metadata,
          commitTimestampMs: o.commitTimestampMs,
          generationId: -1,
        });
      }
    }
    return records;
  }

  /** Makes one step's records durable, in order; resolves only once all are. */
  async write(records: readonly group.PersistRecord[]): Promise<void> {
    const { state } = this.storage;
    const dirty = new Set<number>();
    let i = 0;
    while (i < records.length) {
      const record = records[i]!;
      // Runs of offset records of one group become one atomic write.
      let end = i + 1;
      while (
        end < records.length &&
        records[end]!.kind === record.kind &&
        records[end]!.groupId === record.groupId
      )
        end++;
      const run = records.slice(i, end);
      i = end;
      switch (record.kind) {
        case "offsetCommit": {
          const offsets: CommittedOffset[] = [];
          for (const r of run) {
            invariant(r.kind === "offsetCommit", "group store: mixed run");
            offsets.push({
              topic: r.topic,
              partition: r.partition,
              offset: r.offset,
              leaderEpoch: r.leaderEpoch,
              metadata: r.metadata,
              commitTimestampMs: r.commitTimestampMs,
            });
          }
          await this.storage.run(state.commitGroupOffsets(record.groupId, offsets));
          break;
        }
        case "offsetTombstone": {
          const partitions: TopicPartition[] = [];
          for (const r of run) {
            invariant(r.kind === "offsetTombstone", "group store: mixed run");
            partitions.push({ topic: r.topic, partition: r.partition });
          }
          await this.storage.run(state.deleteGroupOffsets(record.groupId, partitions));
          break;
        }
        case "groupTombstone": {
          await this.storage.run(state.deleteGroupOffsets(record.groupId));
          const shard = metadataShardOf(record.groupId);
          if (this.shards[shard]!.delete(record.groupId)) dirty.add(shard);
          break;
        }
        case "groupMetadata": {
          const last = run[run.length - 1]!;
          invariant(last.kind === "groupMetadata", "group store: mixed run");
          const shard = metadataShardOf(last.groupId);
          this.shards[shard]!.set(last.groupId, last);
          dirty.add(shard);
          break;
        }
      }
    }
    for (const shard of dirty) await this.writeShard(shard);
  }

  private async writeShard(shard: number): Promise<void> {
    const groups = this.shards[shard]!;
    const document: StoredGroupShard = {
      version: groupMetadataFormatVersion,
      groups: [...groups.values()].map(toStored),
    };
    const version = this.shardVersions[shard]! + 1;
    await this.storage.run(
      this.storage.state.saveProducerState(shardPartition(shard), {
        offset: version,
        bytes: encoder.encode(JSON.stringify(document)),
      }),
    );
    this.shardVersions[shard] = version;
  }
}

export class GroupShell {
  private state: group.CoordinatorState;
  private readonly queue = new SerialQueue("groups", queuedStepsMax);
  private readonly waiting = new Map<group.RequestId, (answer: group.Response | null) => void>();
  private nextRequestId = 1;
  private tickQueued = false;
  /** Set when a write or a step failed: the state must be rebuilt from storage before the next step. */
  private broken = false;
  /** Why the last rebuild failed (a stored value that does not decode, a failed read), or null. */
  private loadError: Error | null = null;
  private closed = false;

  private constructor(
    private readonly store: GroupStore,
    private readonly options: Partial<group.CoordinatorOptions>,
    private readonly log: (line: string) => void,
    state: group.CoordinatorState,
  ) {
    this.state = state;
  }

  /** Rebuilds the coordinator from the durable records (or starts it empty). */
  static async open(
    storage: Storage,
    config: BrokerConfig,
    log: (line: string) => void,
  ): Promise<GroupShell> {
    const options: Partial<group.CoordinatorOptions> = {
      membersPerGroupMax: config.groupMembersMax,
      sessionTimeoutMsMin: config.groupSessionTimeoutMsMin,
      sessionTimeoutMsMax: config.groupSessionTimeoutMsMax,
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      offsetsRetentionMs: config.offsetsRetentionMs,
    };
    const store = new GroupStore(storage);
    const shell = new GroupShell(
      store,
      options,
      log,
      group.initialState({ ...options, seed: 0 }, Date.now()),
    );
    await shell.rebuild();
    // At start-up a group state that cannot be loaded stops the broker: serving without it would
    // answer clients as if their groups and offsets did not exist. (Later, after a failed write, the
    // shell keeps retrying the load and answers NOT_COORDINATOR meanwhile.)
    if (shell.loadError !== null) throw shell.loadError;
    const groups = shell.state.groups;
    let offsets = 0;
    for (const g of groups.values()) offsets += g.offsetCount;
    if (groups.size > 0) log(`groups: loaded ${groups.size} group(s) with ${offsets} committed offset(s)`);
    return shell;
  }

  /** Groups held now (for tests and logs). */
  get groupCount(): number {
    return this.state.groups.size;
  }

  /**
   * Steps one request and resolves with its answer once the answer may be sent: immediately after
   * the step's records are durable, or later for a JoinGroup/SyncGroup held until the rebalance moves
   * on. `null` means the coordinator cannot answer now (overloaded, a failed write, shutting down).
   */
  request<R extends GroupRequest>(input: R): Promise<GroupAnswer<R["type"]> | null> {
    if (this.closed || this.waiting.size >= waitingAnswersMax) return Promise.resolve(null);
    const requestId = this.nextRequestId++;
    invariant(Number.isSafeInteger(requestId), "groups: request ids ran out");
    const answer = new Promise<group.Response | null>((resolve) => this.waiting.set(requestId, resolve));
    this.queue
      .run(() => this.stepRequest({ ...input, requestId } as group.Input))
      .catch((error: unknown) => {
        this.log(`groups: ${input.type} not stepped: ${(error as Error).message}`);
        this.answer(requestId, null);
      });
    return answer.then((response) => {
      invariant(response === null || response.kind === input.type, "groups: answer of another kind");
      return response as GroupAnswer<R["type"]> | null;
    });
  }

  /** Advances the coordinator's clock (sessions, rebalance timeouts, offset expiry). */
  async tick(nowMs: number): Promise<void> {
    // Ticks carry no request; one queued is as good as many.
    if (this.tickQueued || this.closed) return;
    this.tickQueued = true;
    try {
      await this.queue.run(async () => {
        this.tickQueued = false;
        await this.advanceClock(nowMs);
      });
    } finally {
      // A refused tick (queue full) must not block every later one.
      this.tickQueued = false;
    }
  }

  /**
   * Deletes every group's committed offsets of the topics `gone` names (deleted topics), as Kafka's
   * coordinator does when topics are deleted: tombstones are made durable first, then the
   * coordinator replays them (a `load` of durable records), so a restart or a topic recreated under
   * the same name never sees the old offsets. Resolves with the number of offsets deleted.
   */
  deleteTopicOffsets(gone: (topic: string) => boolean): Promise<number> {
    return this.queue.run(async () => {
      if (this.broken) await this.rebuild();
      if (this.broken) throw new Error("groups: state cannot be loaded, offsets of deleted topics kept");
      const tombstones: group.PersistRecord[] = [];
      for (const g of this.state.groups.values()) {
        for (const [topic, partitions] of g.offsets) {
          if (!gone(topic)) continue;
          for (const partition of partitions.keys()) {
            tombstones.push({ kind: "offsetTombstone", groupId: g.groupId, topic, partition });
          }
        }
      }
      invariant(
        tombstones.length <= this.state.groups.size * (this.state.options.offsetsPerGroupMax + 1),
        "groups: more tombstones than offsets held",
      );
      if (tombstones.length === 0) return 0;
      try {
        await this.store.write(tombstones);
      } catch (error) {
        // Some tombstones may be durable: the coordinator must be rebuilt from what storage holds.
        this.broken = true;
        this.answerAllWithNull();
        throw error;
      }
      await this.stepAndAct({ type: "load", records: tombstones });
      invariant(
        this.broken ||
          [...this.state.groups.values()].every((g) => [...g.offsets.keys()].every((topic) => !gone(topic))),
        "groups: offsets of a deleted topic survived the purge",
      );
      return tombstones.length;
    });
  }

  /** Answers every waiting request with `null` and refuses new ones; stored state is untouched. */
  close(): void {
    this.closed = true;
    this.answerAllWithNull();
  }

  private async stepRequest(input: group.Input): Promise<void> {
    if (this.closed) {
      this.answerAllWithNull();
      return;
    }
    if (this.broken) await this.rebuild();
    if (this.broken) {
      this.answerAllWithNull();
      return;
    }
    // Requests are handled at the coordinator's last time. The node ticks every 100 ms; a tick (which
    // visits every group) is added here only when those ticks fell behind.
    const nowMs = Date.now();
    if (nowMs - this.state.nowMs >= requestClockLagMsMax) await this.advanceClock(nowMs);
    await this.stepAndAct(input);
  }

  private async advanceClock(nowMs: number): Promise<void> {
    if (this.broken) await this.rebuild();
    if (this.broken || nowMs <= this.state.nowMs) return;
    await this.stepAndAct({ type: "tick", nowMs });
  }

  /** One step and the shell's part of it: persist, then answer. */
  private async stepAndAct(input: group.Input): Promise<void> {
    let ready: group.Ready;
    try {
      const result = group.step(this.state, input);
      this.state = result.state;
      ready = result.ready;
    } catch (error) {
      // The core asserts its invariants; the state it was advancing in place cannot be trusted.
      this.log(`groups: step ${input.type} failed, rebuilding from storage: ${(error as Error).stack}`);
      this.broken = true;
      this.answerAllWithNull();
      return;
    }
    if (ready.persist.length > 0) {
      try {
        await this.store.write(ready.persist);
      } catch (error) {
        this.log(`groups: write failed, rebuilding from storage: ${(error as Error).message}`);
        this.broken = true;
        this.answerAllWithNull();
        return;
      }
    }
    for (const response of ready.respond) this.answer(response.requestId, response);
  }

  private answer(requestId: group.RequestId, response: group.Response | null): void {
    const resolve = this.waiting.get(requestId);
    if (resolve === undefined) return;
    this.waiting.delete(requestId);
    resolve(response);
  }

  private answerAllWithNull(): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const resolve of waiters) resolve(null);
  }

  /** Discards the in-memory coordinator and replays the durable records into a fresh one. */
  private async rebuild(): Promise<void> {
    try {
      const records = await this.store.readAll();
      // Member ids must not repeat across restarts and rebuilds (restored members keep theirs), so
      // every fresh coordinator gets a fresh seed.
      const seed = randomBytes(4).readUInt32LE(0);
      const fresh = group.initialState({ ...this.options, seed }, Math.max(Date.now(), this.state.nowMs));
      this.state = group.step(fresh, { type: "load", records }).state;
      this.broken = false;
      this.loadError = null;
    } catch (error) {
      this.log(`groups: cannot load group state: ${(error as Error).message}`);
      this.broken = true;
      this.loadError = error instanceof Error ? error : new Error(String(error));
    }
  }
}
