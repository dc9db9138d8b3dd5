/**
 * Consumer groups in a cluster, as Kafka keeps them: a group's metadata and committed offsets live in
 * one partition of the replicated `__consumer_offsets` topic (Kafka's rule picks it from the group
 * id), and the broker that leads that partition is the group's coordinator. For each partition this
 * node leads it runs one shared-node `GroupCoordinator` (the same driver a single node and the
 * simulator run), whose records are appended to the partition with acks=all and answered only once
 * the ISR has them; when leadership moves here the coordinator is rebuilt from the partition's log,
 * and when it moves away the coordinator closes (its waiting requests answer NOT_COORDINATOR, and
 * clients look the coordinator up again).
 *
 * Owns: which coordinators run here, loading them from their partitions, writing their records, and
 * routing each request by group id. Must never answer a group request from a partition it does not
 * lead, nor acknowledge a record the partition's ISR does not hold.
 */
import { randomBytes } from "node:crypto";
import type { controller, group } from "@eddy/core";
import {
  type GroupAnswer,
  GroupCoordinator,
  type GroupCoreOptions,
  type GroupEnv,
  type GroupRequest,
  type PartitionReplica,
  walkBatches,
} from "@eddy/node";
import { ErrorCode } from "@eddy/protocol";
import {
  decodeGroupRecords,
  encodeGroupRecords,
  offsetsPartitionOf,
  offsetsTopicName,
} from "./offsets-topic-codec.ts";

/** What a group service offers the API handlers: a single node's `GroupShell`, or this. */
export interface GroupService {
  request<R extends GroupRequest>(input: R): Promise<GroupAnswer<R["type"]> | null>;
  deleteTopicOffsets(gone: (topic: string) => boolean): Promise<number>;
  close(): void;
}

/** What the coordinators need of their node. */
export interface GroupsHost {
  readonly nodeId: number;
  readonly clock: () => number;
  readonly log: (line: string) => void;
  partition(topic: string, index: number): PartitionReplica | undefined;
}

/** How long a record write may wait for the ISR (Kafka's offsets.commit.timeout.ms). */
const offsetsCommitTimeoutMs = 5_000;
/** Bytes read per call when a coordinator loads its partition. */
const loadReadBytes = 1 << 20;
/** A bound on reads per load (a partition this large is compacted in Kafka; here it is refused). */
const loadReadsMax = 100_000;
/** How often a new leader checks whether its partition can be read yet (its high watermark caught up). */
const loadRetryMs = 50;

interface PartitionCoordinator {
  readonly leaderEpoch: number;
  coordinator: GroupCoordinator | null;
  closed: boolean;
}

export class ReplicatedGroups implements GroupService {
  private readonly coordinators = new Map<number, PartitionCoordinator>();
  private closed = false;

  constructor(
    private readonly host: GroupsHost,
    private readonly options: GroupCoreOptions,
    readonly partitionCount: number,
  ) {}

  /** The `__consumer_offsets` partition of a group. */
  partitionOf(groupId: string): number {
    return offsetsPartitionOf(groupId, this.partitionCount);
  }

  /** Starts coordinators for the partitions this node now leads and closes the others. */
  applyImage(image: controller.MetadataImage): void {
    if (this.closed) return;
    const topic = image.topics[offsetsTopicName];
    for (let p = 0; p < this.partitionCount; p++) {
      const meta = topic?.partitions[p];
      const leadsHere = meta !== undefined && meta.leader === this.host.nodeId;
      const current = this.coordinators.get(p);
      if (current !== undefined && (!leadsHere || current.leaderEpoch !== meta.leaderEpoch)) {
        current.closed = true;
        current.coordinator?.close();
        this.coordinators.delete(p);
        this.host.log(`groups: no longer coordinating ${offsetsTopicName}-${p}`);
      }
      if (leadsHere && !this.coordinators.has(p)) {
        const entry: PartitionCoordinator = {
          leaderEpoch: meta.leaderEpoch,
          coordinator: null,
          closed: false,
        };
        this.coordinators.set(p, entry);
        void this.load(p, entry);
      }
    }
  }

  request<R extends GroupRequest>(input: R): Promise<GroupAnswer<R["type"]> | null> {
    if ("groupId" in input) return this.requestAt(this.partitionOf(input.groupId), input);
    if (input.type === "listGroups") return this.listGroups(input) as Promise<GroupAnswer<R["type"]> | null>;
    if (input.type === "describeGroups" || input.type === "deleteGroups") {
      // Clients send these to each group's coordinator; a request naming groups of several
      // partitions is answered per partition and put back together.
      const byPartition = new Map<number, string[]>();
      for (const groupId of input.groupIds) {
        const p = this.partitionOf(groupId);
        byPartition.set(p, [...(byPartition.get(p) ?? []), groupId]);
      }
      return Promise.all(
        [...byPartition].map(([p, groupIds]) => this.requestAt(p, { ...input, groupIds } as R)),
      ).then((answers) => mergeAnswers(answers) as GroupAnswer<R["type"]> | null);
    }
    return Promise.resolve(null);
  }

  deleteTopicOffsets(gone: (topic: string) => boolean): Promise<number> {
    const purges = [...this.coordinators.values()].map(
      (entry) =>
        new Promise<number>((resolve, reject) => {
          if (entry.coordinator === null) {
            resolve(0);
            return;
          }
          entry.coordinator.purgeTopicOffsets(gone, (deleted) => {
            if (deleted instanceof Error) reject(deleted);
            else resolve(deleted);
          });
        }),
    );
    return Promise.all(purges).then((counts) => counts.reduce((a, b) => a + b, 0));
  }

  close(): void {
    this.closed = true;
    for (const entry of this.coordinators.values()) {
      entry.closed = true;
      entry.coordinator?.close();
    }
    this.coordinators.clear();
  }

  private requestAt<R extends GroupRequest>(
    partition: number,
    input: R,
  ): Promise<GroupAnswer<R["type"]> | null> {
    const coordinator = this.coordinators.get(partition)?.coordinator ?? null;
    // Not led here, or still loading: NOT_COORDINATOR sends the client to look it up again.
    if (coordinator === null) return Promise.resolve(null);
    return new Promise((resolve) => coordinator.request(input, resolve));
  }

  private async listGroups(
    input: Extract<GroupRequest, { type: "listGroups" }>,
  ): Promise<GroupAnswer<"listGroups"> | null> {
    const answers = await Promise.all(
      [...this.coordinators.values()].map((entry) =>
        entry.coordinator === null
          ? Promise.resolve(null)
          : new Promise<GroupAnswer<"listGroups"> | null>((resolve) =>
              entry.coordinator!.request(input, resolve),
            ),
      ),
    );
    const groups = answers.flatMap((a) => a?.groups ?? []);
    return { kind: "listGroups", requestId: 0, errorCode: ErrorCode.NONE, groups };
  }

  /** Rebuilds a partition's coordinator from its log, once the new leader's high watermark allows reading it. */
  private async load(partition: number, entry: PartitionCoordinator): Promise<void> {
    const started = this.host.clock();
    for (;;) {
      if (entry.closed) return;
      const replica = this.host.partition(offsetsTopicName, partition);
      if (replica !== undefined) {
        try {
          const records = this.readAll(replica, partition);
          if (records !== null) {
            if (entry.closed) return;
            entry.coordinator = GroupCoordinator.open(this.env(partition, entry), this.options, records);
            const groups = entry.coordinator.coreState.groups.size;
            this.host.log(
              `groups: coordinating ${offsetsTopicName}-${partition} (epoch ${entry.leaderEpoch}): loaded ${records.length} record(s), ${groups} group(s) in ${this.host.clock() - started} ms`,
            );
            return;
          }
        } catch (error) {
          this.host.log(
            `groups: cannot load ${offsetsTopicName}-${partition}; its groups stay unavailable: ${(error as Error).message}`,
          );
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, loadRetryMs));
    }
  }

  /**
   * Every record of the partition up to its high watermark, or null while it cannot be read yet (a
   * new leader whose high watermark has not reached its own epoch's start: the records before it may
   * still be committed by the followers' next fetches).
   */
  private readAll(replica: PartitionReplica, partition: number): group.PersistRecord[] | null {
    const source = `${offsetsTopicName}-${partition}`;
    const records: group.PersistRecord[] = [];
    let offset = replica.logStartOffset;
    for (let reads = 0; reads < loadReadsMax; reads++) {
      const answer = replica.read(offset, loadReadBytes, -1);
      if (
        answer.errorCode === ErrorCode.OFFSET_NOT_AVAILABLE ||
        answer.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER
      )
        return null;
      if (answer.errorCode !== ErrorCode.NONE)
        throw new Error(`reading ${source} failed with error ${answer.errorCode}`);
      if (answer.records.length === 0) return records;
      const decoded = decodeGroupRecords(answer.records, source);
      records.push(...decoded);
      offset = nextOffsetAfter(answer.records, offset);
      if (offset >= answer.highWatermark) return records;
    }
    throw new Error(`${source} holds more than ${loadReadsMax} reads of records`);
  }

  private env(partition: number, entry: PartitionCoordinator): GroupEnv {
    const host = this.host;
    return {
      nowMs: host.clock,
      wakeAfter: (coordinator, delayMs) => {
        setTimeout(() => coordinator.onWakeTimer(), Math.max(0, delayMs)).unref();
      },
      persist: (coordinator, batchId, records) => {
        const replica = host.partition(offsetsTopicName, partition);
        const fail = (why: string) =>
          queueMicrotask(() => coordinator.persistFailed(batchId, new Error(why)));
        if (replica === undefined || entry.closed) {
          fail(`${offsetsTopicName}-${partition} is not open here`);
          return false;
        }
        replica.produce(encodeGroupRecords(records, host.clock()), -1, offsetsCommitTimeoutMs, (outcome) => {
          if (outcome.errorCode === ErrorCode.NONE) coordinator.persistCompleted(batchId);
          else
            coordinator.persistFailed(
              batchId,
              new Error(`writing to ${offsetsTopicName}-${partition} failed with error ${outcome.errorCode}`),
            );
        });
        return false;
      },
      reload: (coordinator) => {
        queueMicrotask(() => {
          const replica = host.partition(offsetsTopicName, partition);
          try {
            const records = replica === undefined ? null : this.readAll(replica, partition);
            if (records === null)
              coordinator.loadFailed(new Error(`${offsetsTopicName}-${partition} cannot be read now`));
            else coordinator.loaded(records);
          } catch (error) {
            coordinator.loadFailed(error);
          }
        });
      },
      seed: () => randomBytes(4).readUInt32LE(0),
      coreFailed: (_coordinator, input, error) => {
        host.log(`groups: the core failed on ${input.type}: ${(error as Error).stack ?? String(error)}`);
      },
      log: host.log,
    };
  }
}

/** The offset after the last batch of a read. */
function nextOffsetAfter(records: Uint8Array, from: number): number {
  let next = from;
  walkBatches(records, false, (header) => {
    next = header.lastOffset + 1;
    return true;
  });
  return next;
}

/** Puts per-partition answers to DescribeGroups or DeleteGroups back together; null if any is missing. */
function mergeAnswers(answers: readonly (group.Response | null)[]): group.Response | null {
  if (answers.some((a) => a === null) || answers.length === 0) return null;
  const first = answers[0]!;
  if (first.kind === "describeGroups")
    return {
      ...first,
      groups: answers.flatMap((a) => (a as typeof first).groups),
    };
  if (first.kind === "deleteGroups")
    return {
      ...first,
      results: answers.flatMap((a) => (a as typeof first).results),
    };
  return first;
}
