/**
 * The group shell over the in-memory disk, where crashes and failed writes can be injected: what it
 * acknowledged survives a crash (offsets, group metadata, deletions, the purge of a deleted topic's
 * offsets), a failed write is never acknowledged and every waiting request (held joins included) is
 * answered `null` instead of left hanging, and the coordinator rebuilt from storage keeps serving.
 * On the wall clock, the coordinator's own wake-ups (the node no longer ticks it) run its timers.
 */
import { describe, expect, test } from "bun:test";
import { group } from "@eddy/core";
import { MemoryDisk } from "@eddy/storage-memory";
import type { BrokerConfig } from "../src/config/broker-config.ts";
import { parseCli } from "../src/config/cli.ts";
import { GroupShell, metadataShardCount } from "../src/node/group-shell.ts";
import { storageOn } from "./memory-storage.ts";

function brokerConfig(): BrokerConfig {
  const cli = parseCli(["--storage", "memory"], {});
  if (cli.kind === "help") throw new Error("unexpected help");
  return cli.config;
}

const lines: string[] = [];
const log = (line: string) => lines.push(line);
const config = brokerConfig();

/** The clock every shell here runs on, set by hand: the tests move it past rebalance delays. */
let clockMs = Date.now();

async function open(disk: MemoryDisk): Promise<GroupShell> {
  return GroupShell.open(await storageOn(disk), config, log, () => clockMs);
}

function commit(shell: GroupShell, groupId: string, topic: string, offsets: readonly number[]) {
  return shell.request({
    type: "offsetCommit",
    groupId,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    apiVersion: 2,
    offsets: offsets.map((offset, partition) => ({
      topic,
      partition,
      offset,
      leaderEpoch: -1,
      metadata: "m",
    })),
  });
}

async function fetchAll(shell: GroupShell, groupId: string): Promise<[string, number, number][]> {
  const answer = await shell.request({ type: "offsetFetch", groupId, partitions: null });
  expect(answer).not.toBeNull();
  return (answer?.partitions ?? [])
    .map((p): [string, number, number] => [p.topic, p.partition, p.committedOffset])
    .sort();
}

/** A static member joins with JoinGroup v5 and syncs its own assignment: generation 1, Stable. */
async function formGroup(shell: GroupShell, groupId: string): Promise<string> {
  const joined = shell.request({
    type: "joinGroup",
    groupId,
    memberId: "",
    groupInstanceId: `${groupId}-instance`,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: new Uint8Array([0, 1]) }],
    // Long enough that the ticks forming the other groups never expire this one.
    sessionTimeoutMs: 1_800_000,
    rebalanceTimeoutMs: 30_000,
    apiVersion: 5,
    clientId: "c",
    clientHost: "/127.0.0.1",
  });
  // The initial rebalance delay holds the join until the clock passes it.
  clockMs += config.groupInitialRebalanceDelayMs + 1;
  shell.wakeNow();
  const join = await joined;
  expect(join?.errorCode).toBe(group.ErrorCode.NONE);
  const memberId = join?.memberId ?? "";
  const sync = await shell.request({
    type: "syncGroup",
    groupId,
    generationId: join?.generationId ?? -1,
    memberId,
    groupInstanceId: `${groupId}-instance`,
    protocolType: null,
    protocolName: null,
    assignments: [{ memberId, assignment: new Uint8Array([7]) }],
  });
  expect(sync?.errorCode).toBe(group.ErrorCode.NONE);
  return memberId;
}

/** A new member's JoinGroup v3, which the initial rebalance delay holds. */
function joinNew(shell: GroupShell, groupId: string) {
  return shell.request({
    type: "joinGroup",
    groupId,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: new Uint8Array(0) }],
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    apiVersion: 3,
    clientId: "c",
    clientHost: "/127.0.0.1",
  });
}

/** Fails unless `answer` is still unanswered a moment later: the request is held. */
async function expectHeld(answer: Promise<unknown>): Promise<void> {
  expect(await Promise.race([answer.then(() => "answered"), Bun.sleep(10).then(() => "held")])).toBe("held");
}

describe("group shell timers", () => {
  test("on the wall clock, with no node tick, the coordinator's own wake-ups end the initial delay and expire a silent member", async () => {
    const cli = parseCli(
      [
        "--storage",
        "memory",
        "--override",
        "group.initial.rebalance.delay.ms=50",
        "--override",
        "group.min.session.timeout.ms=100",
      ],
      {},
    );
    if (cli.kind === "help") throw new Error("unexpected help");
    const shell = await GroupShell.open(await storageOn(new MemoryDisk()), cli.config, log);
    const startedMs = Date.now();
    const join = await shell.request({
      type: "joinGroup",
      groupId: "timed",
      memberId: "",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array(0) }],
      sessionTimeoutMs: 300,
      rebalanceTimeoutMs: 300,
      apiVersion: 3,
      clientId: "c",
      clientHost: "/127.0.0.1",
    });
    // Answered by the wake-up the core asked for when the delay ends, not by a periodic tick.
    expect(join?.errorCode).toBe(group.ErrorCode.NONE);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(45);
    const memberId = join?.memberId ?? "";
    const sync = await shell.request({
      type: "syncGroup",
      groupId: "timed",
      generationId: join?.generationId ?? -1,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId, assignment: new Uint8Array([1]) }],
    });
    expect(sync?.errorCode).toBe(group.ErrorCode.NONE);
    // No heartbeat: the member is dropped at its session deadline by the next wake-up.
    await Bun.sleep(600);
    const described = await shell.request({ type: "describeGroups", groupIds: ["timed"] });
    expect(described?.groups[0]?.state).toBe("Empty");
    expect(described?.groups[0]?.members).toEqual([]);
    shell.close();
  });
});

describe("group shell durability", () => {
  test("acknowledged offsets, groups and deletions survive a crash", async () => {
    const disk = new MemoryDisk();
    const shell = await open(disk);
    expect((await commit(shell, "simple", "t", [5, 6]))?.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    expect((await commit(shell, "simple", "t", [7]))?.partitions.map((p) => p.errorCode)).toEqual([0]);
    expect((await commit(shell, "doomed", "u", [1]))?.partitions[0]?.errorCode).toBe(0);
    const memberIds = new Map<string, string>();
    // Enough groups to spread over every metadata shard.
    for (let i = 0; i < 3 * metadataShardCount; i++) {
      memberIds.set(`stable-${i}`, await formGroup(shell, `stable-${i}`));
    }
    const deleted = await shell.request({ type: "deleteGroups", groupIds: ["doomed"] });
    expect(deleted?.results).toEqual([{ groupId: "doomed", errorCode: group.ErrorCode.NONE }]);

    disk.crash({ _tag: "LoseUnsynced" });
    const reopened = await open(disk);
    expect(reopened.groupCount).toBe(1 + 3 * metadataShardCount);
    expect(await fetchAll(reopened, "simple")).toEqual([
      ["t", 0, 7],
      ["t", 1, 6],
    ]);
    expect(await fetchAll(reopened, "doomed")).toEqual([]);
    const described = await reopened.request({ type: "describeGroups", groupIds: [...memberIds.keys()] });
    expect(described?.groups.map((g) => g.groupId)).toEqual([...memberIds.keys()]);
    for (const g of described?.groups ?? []) {
      expect(g.state).toBe("Stable");
      expect(g.members.map((m) => m.memberId)).toEqual([memberIds.get(g.groupId) ?? "?"]);
      expect([...(g.members[0]?.assignment ?? [])]).toEqual([7]);
    }
    // The restored member carries on in its generation.
    const beat = await reopened.request({
      type: "heartbeat",
      groupId: "stable-0",
      generationId: 1,
      memberId: memberIds.get("stable-0") ?? "",
      groupInstanceId: "stable-0-instance",
    });
    expect(beat?.errorCode).toBe(group.ErrorCode.NONE);
  });

  test("a failed write is not acknowledged, held requests are answered null, and the rebuilt coordinator serves", async () => {
    const disk = new MemoryDisk();
    const shell = await open(disk);
    expect((await commit(shell, "g", "t", [1]))?.partitions[0]?.errorCode).toBe(0);
    const held = joinNew(shell, "waiting");
    await expectHeld(held);
    disk.faults.failNextWrite = "Io";
    expect(await commit(shell, "g", "t", [2])).toBeNull();
    expect(await held).toBeNull();
    expect(lines.some((l) => l.includes("groups: write failed, rebuilding from storage"))).toBe(true);
    // The next request runs on a coordinator rebuilt from what storage holds.
    expect((await commit(shell, "g", "t", [3]))?.partitions[0]?.errorCode).toBe(0);
    expect(await fetchAll(shell, "g")).toEqual([["t", 0, 3]]);
    const described = await shell.request({ type: "describeGroups", groupIds: ["waiting"] });
    expect(described?.groups[0]?.state).toBe("Dead");
    disk.crash({ _tag: "LoseUnsynced" });
    expect(await fetchAll(await open(disk), "g")).toEqual([["t", 0, 3]]);
  });

  test("a deleted topic's offsets leave every group durably; a failed purge keeps them for the next try", async () => {
    const disk = new MemoryDisk();
    const shell = await open(disk);
    await commit(shell, "g1", "t", [5, 6]);
    await commit(shell, "g1", "u", [1]);
    await commit(shell, "g2", "t", [9]);
    disk.faults.failNextWrite = "Io";
    await expect(shell.deleteTopicOffsets((topic) => topic === "t")).rejects.toThrow();
    // Nothing was purged; the coordinator rebuilt from storage still serves every offset.
    expect(await fetchAll(shell, "g1")).toEqual([
      ["t", 0, 5],
      ["t", 1, 6],
      ["u", 0, 1],
    ]);
    expect(await shell.deleteTopicOffsets((topic) => topic === "t")).toBe(3);
    expect(await fetchAll(shell, "g1")).toEqual([["u", 0, 1]]);
    expect(await fetchAll(shell, "g2")).toEqual([]);
    expect(await shell.deleteTopicOffsets((topic) => topic === "t")).toBe(0);
    disk.crash({ _tag: "LoseUnsynced" });
    const reopened = await open(disk);
    expect(await fetchAll(reopened, "g1")).toEqual([["u", 0, 1]]);
    expect(await fetchAll(reopened, "g2")).toEqual([]);
  });

  test("an unreadable metadata shard stops the shell from opening, naming the file, and leaves the stored bytes untouched", async () => {
    const disk = new MemoryDisk();
    const storage = await storageOn(disk);
    const garbage = new TextEncoder().encode("{not json");
    await storage.run(storage.state.saveGroupMetadataShard(3, { version: 1, bytes: garbage }));
    // Serving without the stored groups would answer clients as if their groups did not exist.
    await expect(GroupShell.open(storage, config, log, () => clockMs)).rejects.toThrow(
      "group metadata shard /data/__group_metadata-3/00000000000000000001.snapshot: not valid JSON",
    );
    const stored = await storage.run(storage.state.loadGroupMetadataShard(3));
    expect(stored?.version).toBe(1);
    expect(new TextDecoder().decode(stored?.bytes)).toBe("{not json");
    expect(await storage.run(storage.state.groups())).toEqual([]);
  });

  test("close answers waiting requests and refuses new ones", async () => {
    const shell = await open(new MemoryDisk());
    const held = joinNew(shell, "closing");
    await expectHeld(held);
    shell.close();
    expect(await held).toBeNull();
    expect(await commit(shell, "g", "t", [1])).toBeNull();
  });
});
