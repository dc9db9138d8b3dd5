/**
 * Benchmark of the group coordinator's step, run with `bun packages/core/test/group.bench.ts`. Figures are
 * printed beside a baseline measured in the same run (a heartbeat to a Stable group, the cheapest request),
 * so machines and runs compare by ratio. Nothing here asserts on time.
 */
import { group } from "../src/index.ts";

const membersCount = 100;
const metadata = group.assignors.encodeSubscription({
  topics: ["t"],
  userData: null,
  ownedPartitions: [],
  generationId: -1,
  rackId: null,
});

function stableGroup(groupId: string, state: group.CoordinatorState, firstRequestId: number) {
  let requestId = firstRequestId;
  const memberIds: string[] = [];
  const joins: number[] = [];
  for (let i = 0; i < membersCount; i++) {
    const id = requestId++;
    joins.push(id);
    state = group.step(state, {
      type: "joinGroup",
      requestId: id,
      groupId,
      memberId: "",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata }],
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 60_000,
      apiVersion: 3,
      clientId: `c${i}`,
      clientHost: "/h",
    }).state;
  }
  // The initial delay (3 s, extended once because members kept arriving) gathers everyone in generation 1.
  const ready = group.step(state, { type: "tick", nowMs: state.nowMs + 6_000 });
  state = ready.state;
  let roster: group.JoinGroupResponse["members"] = [];
  for (const r of ready.ready.respond) {
    if (r.kind === "joinGroup") {
      memberIds.push(r.memberId);
      if (r.members.length > 0) roster = r.members;
    }
  }
  const assignments = group.assignors.assignForLeader(
    roster,
    group.assignors.rangeAssignor,
    new Map([["t", 64]]),
  );
  const leader = roster[0]!.memberId;
  for (const memberId of [...memberIds.filter((m) => m !== leader), leader]) {
    state = group.step(state, {
      type: "syncGroup",
      requestId: requestId++,
      groupId,
      generationId: 1,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: memberId === leader ? assignments : [],
    }).state;
  }
  return { state, memberIds, requestId };
}

function measure(
  name: string,
  iterations: number,
  body: (i: number) => void,
  baselineNsPerOp?: number,
): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) body(i); // warm up
  const start = Bun.nanoseconds();
  for (let i = 0; i < iterations; i++) body(i);
  const nsPerOp = (Bun.nanoseconds() - start) / iterations;
  const ratio =
    baselineNsPerOp === undefined ? "baseline" : `${(nsPerOp / baselineNsPerOp).toFixed(1)}x baseline`;
  console.log(
    `${name.padEnd(52)} ${(1e9 / nsPerOp).toFixed(0).padStart(10)} ops/s  ${(nsPerOp / 1000).toFixed(2).padStart(9)} µs/op  ${ratio}`,
  );
  return nsPerOp;
}

let { state, memberIds, requestId } = stableGroup("g", group.initialState({ seed: 1 }), 1);

const baseline = measure("heartbeat, Stable group of 100 (baseline)", 200_000, (i) => {
  state = group.step(state, {
    type: "heartbeat",
    requestId: requestId++,
    groupId: "g",
    generationId: 1,
    memberId: memberIds[i % membersCount]!,
    groupInstanceId: null,
  }).state;
});

measure(
  "offset commit of 4 partitions",
  100_000,
  (i) => {
    const memberId = memberIds[i % membersCount]!;
    state = group.step(state, {
      type: "offsetCommit",
      requestId: requestId++,
      groupId: "g",
      generationId: 1,
      memberId,
      groupInstanceId: null,
      apiVersion: 7,
      offsets: [0, 1, 2, 3].map((p) => ({
        topic: "t",
        partition: p,
        offset: i,
        leaderEpoch: -1,
        metadata: null,
      })),
    }).state;
  },
  baseline,
);

measure(
  "offset fetch of 4 partitions",
  100_000,
  () => {
    state = group.step(state, {
      type: "offsetFetch",
      requestId: requestId++,
      groupId: "g",
      partitions: [0, 1, 2, 3].map((p) => ({ topic: "t", partition: p })),
    }).state;
  },
  baseline,
);

measure(
  "full rebalance of 100 members (join, sync all)",
  50,
  (i) => {
    const built = stableGroup(`r${i}`, group.initialState({ seed: i }), 1);
    requestId = Math.max(requestId, built.requestId);
  },
  baseline,
);

// Many quiet groups: the cost of a tick that has nothing due.
let many = group.initialState({ seed: 2, initialRebalanceDelayMs: 0 });
for (let g = 0; g < 1000; g++) {
  many = group.step(many, {
    type: "offsetCommit",
    requestId: g + 1,
    groupId: `simple-${g}`,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    apiVersion: 7,
    offsets: [{ topic: "t", partition: 0, offset: g, leaderEpoch: -1, metadata: null }],
  }).state;
}
measure(
  "tick over 1000 quiet groups",
  2_000,
  () => {
    many = group.step(many, { type: "tick", nowMs: many.nowMs + 1 }).state;
  },
  baseline,
);
