/**
 * The group coordinator's durable records in the storage port, as the broker lays them out:
 *  - committed offsets: the state store's group offsets (`commitGroupOffsets`, one atomic file per
 *    group in the file engine); offset tombstones delete single partitions, a group tombstone the
 *    whole group.
 *  - group metadata (generation, protocol, leader, members with subscriptions and assignments): one
 *    JSON document per shard of groups, kept by the state store's group-metadata shards
 *    (`saveGroupMetadataShard`, in `__group_metadata-<shard>/`). A shard is rewritten whole,
 *    atomically, when one of its groups changes; user topics cannot start with `__`, so the name
 *    never collides with a topic.
 * Reading decodes every stored value with its schema (`group-metadata-schema.ts`, and the state
 * store's own for offsets); a value that does not decode fails with an error naming its file and
 * field. It owns the layout only: it must never decide what to write (the shared node's coordinator
 * does) nor rewrite, repair or skip a stored value it reads.
 */
import { type group, invariant } from "@eddy/core";
import {
  type CommittedOffset,
  decodeStoredJson,
  groupMetadataShardPath,
  storageError,
  type TopicPartition,
} from "@eddy/storage";
import { groupMetadataFormatVersion, type StoredGroup, StoredGroupShard } from "./group-metadata-schema.ts";
import type { Storage } from "./storage.ts";

type GroupMetadataRecord = Extract<group.PersistRecord, { kind: "groupMetadata" }>;

/** Shards of the group-metadata documents; a change rewrites one shard. */
export const metadataShardCount = 8;

const encoder = new TextEncoder();

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

/** A group-metadata record as stored: its members' bytes in base64. */
export function toStored(record: GroupMetadataRecord): StoredGroup {
  return {
    ...record,
    members: record.members.map((m) => ({
      ...m,
      subscription: toBase64(m.subscription),
      assignment: toBase64(m.assignment),
    })),
  };
}

/** The record a stored group-metadata document holds. */
export function fromStored(stored: StoredGroup): GroupMetadataRecord {
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

/**
 * Every durable group record, decoded, in the order `load` replays them; reads only, so a refused
 * start leaves the stored state as it was. The broker runs it before any shell opens
 * (`stored-state-check.ts`).
 */
export function readGroupRecords(storage: Storage): Promise<group.PersistRecord[]> {
  return new GroupStore(storage).readAll();
}

/** The durable side: reads every record back and writes a step's records. */
export class GroupStore {
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
      const snapshot = await this.storage.run(state.loadGroupMetadataShard(shard));
      const groups = new Map<string, GroupMetadataRecord>();
      if (snapshot !== null) {
        const path = groupMetadataShardPath(this.storage.dataDir, shard, snapshot.version);
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
      this.shardVersions.push(snapshot?.version ?? 0);
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
      this.storage.state.saveGroupMetadataShard(shard, {
        version,
        bytes: encoder.encode(JSON.stringify(document)),
      }),
    );
    this.shardVersions[shard] = version;
  }
}
