/**
 * The group coordinator on this node: the broker's binding of the shared node's `GroupCoordinator`
 * (@eddy/node), which alone steps the core's group machine and decides when answers may go out. This
 * binding hands it the node's clock, `setTimeout` wake-ups at the core's own next time, persistence
 * through the storage port (`group-store.ts`: writes that complete later, so answers that depend on
 * durability wait for them), rebuilds that read every record back, and a fresh random seed for each
 * coordinator state it builds. It turns each answer into a Promise for the API handlers.
 *
 * At start-up every stored record is read back, decoded with its schema, and loaded; a stored value
 * that does not decode stops the start with an error naming its file and field, and nothing stored
 * is rewritten. Must never step the core itself, and never leave a caller waiting forever: a failed
 * write, a failed rebuild or a shutdown answers `null` (handlers turn that into NOT_COORDINATOR, on
 * which clients rediscover and retry).
 */
import { randomBytes } from "node:crypto";
import type { group } from "@eddy/core";
import {
  type GroupAnswer,
  GroupCoordinator,
  type GroupCoreOptions,
  type GroupEnv,
  type GroupRequest,
} from "@eddy/node";
import type { BrokerConfig } from "../config/broker-config.ts";
import { GroupStore } from "./group-store.ts";
import type { Storage } from "./storage.ts";

export type { GroupAnswer, GroupRequest } from "@eddy/node";
export { metadataShardCount } from "./group-store.ts";

/** The group coordinator's settings from the broker's (Kafka's group.* and offsets.* properties). */
export function groupCoreOptions(config: BrokerConfig): GroupCoreOptions {
  return {
    membersPerGroupMax: config.groupMembersMax,
    sessionTimeoutMsMin: config.groupSessionTimeoutMsMin,
    sessionTimeoutMsMax: config.groupSessionTimeoutMsMax,
    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    offsetsRetentionMs: config.offsetsRetentionMs,
  };
}

export class GroupShell {
  private constructor(private readonly coordinator: GroupCoordinator) {}

  /**
   * Rebuilds the coordinator from the durable records (or starts it empty). `clockMs` is the node's
   * clock (the wall clock by default); the coordinator never lets it go backwards into the core.
   */
  static async open(
    storage: Storage,
    config: BrokerConfig,
    log: (line: string) => void,
    clockMs: () => number = Date.now,
  ): Promise<GroupShell> {
    const options = groupCoreOptions(config);
    const store = new GroupStore(storage);
    let coordinator: GroupCoordinator;
    try {
      // Serving without the stored groups would answer clients as if their groups and offsets did
      // not exist, so a state that cannot be loaded stops the start. (After a failed write later,
      // the coordinator keeps retrying the load and answers NOT_COORDINATOR meanwhile.)
      const records = await store.readAll();
      coordinator = GroupCoordinator.open(brokerGroupEnv(store, clockMs, log), options, records);
    } catch (error) {
      log(`groups: cannot load group state: ${(error as Error).message}`);
      throw error;
    }
    const groups = coordinator.coreState.groups;
    let offsets = 0;
    for (const g of groups.values()) offsets += g.offsetCount;
    if (groups.size > 0) log(`groups: loaded ${groups.size} group(s) with ${offsets} committed offset(s)`);
    return new GroupShell(coordinator);
  }

  /** Groups held now (for tests and logs). */
  get groupCount(): number {
    return this.coordinator.coreState.groups.size;
  }

  /**
   * Steps one request and resolves with its answer once it may be sent: once the records of its step
   * (and of every earlier step) are durable, or later for a JoinGroup/SyncGroup held until the
   * rebalance moves on. `null` means the coordinator cannot answer now (overloaded, a failed write,
   * shutting down).
   */
  request<R extends GroupRequest>(input: R): Promise<GroupAnswer<R["type"]> | null> {
    return new Promise((resolve) => this.coordinator.request(input, resolve));
  }

  /**
   * Deletes every group's committed offsets of the topics `gone` names (deleted topics): tombstones
   * are made durable first, then the coordinator forgets the offsets. Resolves with the number of
   * offsets deleted; rejects, keeping them for the next try, when a write or rebuild fails.
   */
  deleteTopicOffsets(gone: (topic: string) => boolean): Promise<number> {
    return new Promise((resolve, reject) =>
      this.coordinator.purgeTopicOffsets(gone, (deleted) => {
        if (deleted instanceof Error) reject(deleted);
        else resolve(deleted);
      }),
    );
  }

  /**
   * Runs the coordinator's timers at the clock's time now, as its wake-up timer does on its own (for
   * tests that set the clock by hand).
   */
  wakeNow(): void {
    this.coordinator.onWakeTimer();
  }

  /** Answers every waiting request with `null` and refuses new ones; stored state is untouched. */
  close(): void {
    this.coordinator.close();
  }
}

/**
 * The coordinator's environment on a broker. Writes and reads run on the storage port and complete
 * later (the coordinator has at most one write in flight, so they land in order); wake-ups are
 * unref'd timers, so a stopped broker does not wait for the next one to exit.
 */
function brokerGroupEnv(store: GroupStore, clockMs: () => number, log: (line: string) => void): GroupEnv {
  return {
    nowMs: clockMs,
    wakeAfter: (coordinator, delayMs) => {
      setTimeout(() => coordinator.onWakeTimer(), Math.max(0, delayMs)).unref();
    },
    persist: (coordinator, batchId, records: readonly group.PersistRecord[]) => {
      store.write(records).then(
        () => coordinator.persistCompleted(batchId),
        (error: unknown) => coordinator.persistFailed(batchId, error),
      );
      return false;
    },
    reload: (coordinator) => {
      store.readAll().then(
        (records) => coordinator.loaded(records),
        (error: unknown) => coordinator.loadFailed(error),
      );
    },
    // Member ids must not repeat across restarts and rebuilds (restored members keep theirs), so
    // every coordinator state built gets a fresh random seed.
    seed: () => randomBytes(4).readUInt32LE(0),
    coreFailed: (_coordinator, input, error) => {
      log(`groups: the core failed on ${input.type}: ${(error as Error).stack ?? String(error)}`);
    },
    log,
  };
}
