/**
 * The group coordinator's command interpreter for the transcripts of testdata/group/*.txt, which
 * `transcript.ts` parses and runs (`UPDATE_TRANSCRIPTS=1` rewrites the expected outputs; then review the
 * diff: the output is the specification).
 *
 * The interpreter names member ids by alias (`m1`, `m2`, ... in order of first appearance) so transcripts
 * do not depend on the exact generated ids, and decodes ConsumerProtocol assignments for readability.
 */
import { group } from "../src/index.ts";
import type { TranscriptCase } from "./transcript.ts";

// ---------------------------------------------------------------------------------------------------
// The group coordinator interpreter
// ---------------------------------------------------------------------------------------------------

type Kv = Map<string, string>;

function num(named: Kv, key: string, fallback: number): number {
  const value = named.get(key);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${key}=${value} is not a number`);
  return n;
}

/** Parses `t1/0+1+2;t2/0` into topic partitions. */
function parseTopicPartitions(text: string): group.assignors.TopicPartitions[] {
  if (text === "" || text === "none") return [];
  return text.split(";").map((part) => {
    const [topic, list] = part.split("/");
    return {
      topic: topic!,
      partitions: (list ?? "")
        .split("+")
        .filter((p) => p !== "")
        .map(Number),
    };
  });
}

function formatTopicPartitions(list: readonly group.assignors.TopicPartitions[]): string {
  if (list.length === 0) return "none";
  return list.map((tp) => `${tp.topic}/${tp.partitions.join("+")}`).join(";");
}

export class GroupTranscript {
  state: group.CoordinatorState = group.initialState({ seed: 1 });
  private nextRequestId = 1;
  private aliases = new Map<string, string>();
  private ids = new Map<string, string>();
  /** Topic metadata the simulated leaders assign from. */
  private partitionsPerTopic = new Map<string, number>();
  /** The roster each leader received in its last JoinGroup response, by alias. */
  private rosters = new Map<string, group.JoinGroupResponse["members"]>();
  private requestNames = new Map<number, string>();

  alias(memberId: string): string {
    if (memberId === "") return "-";
    let alias = this.aliases.get(memberId);
    if (alias === undefined) {
      alias = `m${this.aliases.size + 1}`;
      this.aliases.set(memberId, alias);
      this.ids.set(alias, memberId);
    }
    return alias;
  }

  private id(alias: string): string {
    if (alias === "-" || alias === "") return "";
    const id = this.ids.get(alias);
    if (id !== undefined) return id;
    // An id the coordinator never gave out: used verbatim, and printed as itself.
    this.aliases.set(alias, alias);
    this.ids.set(alias, alias);
    return alias;
  }

  private subscription(named: Kv): group.Protocol[] {
    const spec = named.get("protocols") ?? `range:${named.get("topics") ?? "t"}`;
    return spec.split(",").map((entry) => {
      const [name, topics] = entry.split(":");
      const metadata =
        topics === "raw"
          ? new Uint8Array([0xde, 0xad])
          : group.assignors.encodeSubscription({
              topics: (topics ?? "").split("+").filter((t) => t !== ""),
              userData: null,
              ownedPartitions: [],
              generationId: -1,
              rackId: null,
            });
      return { name: name!, metadata };
    });
  }

  run(c: TranscriptCase): string {
    const positional = c.args;
    const named: Kv = new Map(Object.entries(c.kv));
    const requestId = this.nextRequestId;
    const instance = named.get("instance") ?? null;
    let input: group.Input;
    switch (c.command) {
      case "init": {
        this.state = group.initialState({
          seed: num(named, "seed", 1),
          initialRebalanceDelayMs: num(named, "delay", 0),
          membersPerGroupMax: num(named, "membersMax", 1000),
          groupsMax: num(named, "groupsMax", 100),
          offsetsRetentionMs: num(named, "retention", 7 * 24 * 3600 * 1000),
          offsetsRetentionCheckIntervalMs: num(named, "retentionCheck", 600_000),
        });
        return "ok";
      }
      case "topics": {
        for (const entry of positional) {
          const [topic, count] = entry.split("=");
          this.partitionsPerTopic.set(topic!, Number(count));
        }
        for (const [k, v] of named) this.partitionsPerTopic.set(k, Number(v));
        return "ok";
      }
      case "join":
        input = {
          type: "joinGroup",
          requestId,
          groupId: positional[0]!,
          clientId: positional[1] ?? "c",
          memberId: this.id(named.get("member") ?? "-"),
          groupInstanceId: instance,
          protocolType: named.get("type") ?? "consumer",
          protocols: this.subscription(named),
          sessionTimeoutMs: num(named, "session", 10_000),
          rebalanceTimeoutMs: num(named, "rebalance", 30_000),
          apiVersion: num(named, "v", 5),
          clientHost: "/127.0.0.1",
        };
        break;
      case "sync": {
        const memberAlias = positional[1]!;
        let assignments: { memberId: string; assignment: Uint8Array }[] = [];
        const assign = named.get("assign") ?? "none";
        if (assign === "range" || assign === "roundrobin") {
          const roster = this.rosters.get(memberAlias) ?? [];
          const members = roster.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            topics: group.assignors.decodeSubscription(m.metadata).topics,
          }));
          const assignor =
            assign === "range" ? group.assignors.rangeAssign : group.assignors.roundRobinAssign;
          for (const [memberId, owned] of assignor(members, this.partitionsPerTopic)) {
            assignments.push({
              memberId,
              assignment: group.assignors.encodeAssignment({ assignedPartitions: owned, userData: null }),
            });
          }
        } else if (assign !== "none") {
          assignments = assign.split(",").map((entry) => {
            const [alias, spec] = entry.split(":");
            return {
              memberId: this.id(alias!),
              assignment: group.assignors.encodeAssignment({
                assignedPartitions: parseTopicPartitions(spec ?? ""),
                userData: null,
              }),
            };
          });
        }
        input = {
          type: "syncGroup",
          requestId,
          groupId: positional[0]!,
          memberId: this.id(memberAlias),
          generationId: num(named, "gen", 0),
          groupInstanceId: instance,
          protocolType: named.get("ptype") ?? null,
          protocolName: named.get("pname") ?? null,
          assignments,
        };
        break;
      }
      case "heartbeat":
        input = {
          type: "heartbeat",
          requestId,
          groupId: positional[0]!,
          memberId: this.id(positional[1]!),
          generationId: num(named, "gen", 0),
          groupInstanceId: instance,
        };
        break;
      case "leave":
        input = {
          type: "leaveGroup",
          requestId,
          groupId: positional[0]!,
          members: positional.slice(1).map((alias) => {
            const [m, inst] = alias.split("@");
            return { memberId: this.id(m!), groupInstanceId: inst ?? null };
          }),
        };
        break;
      case "commit":
        input = {
          type: "offsetCommit",
          requestId,
          groupId: positional[0]!,
          memberId: this.id(positional[1] ?? "-"),
          generationId: num(named, "gen", -1),
          groupInstanceId: instance,
          apiVersion: num(named, "v", 7),
          offsets: (named.get("offsets") ?? "")
            .split(",")
            .filter((e) => e !== "")
            .map((entry) => {
              const [tp, offset] = entry.split("=");
              const [topic, partition] = tp!.split("/");
              return {
                topic: topic!,
                partition: Number(partition),
                offset: Number(offset),
                leaderEpoch: -1,
                metadata: null,
              };
            }),
        };
        break;
      case "fetch":
        input = {
          type: "offsetFetch",
          requestId,
          groupId: positional[0]!,
          partitions:
            positional.length > 1
              ? positional.slice(1).map((tp) => {
                  const [topic, partition] = tp.split("/");
                  return { topic: topic!, partition: Number(partition) };
                })
              : null,
        };
        break;
      case "describe":
        input = { type: "describeGroups", requestId, groupIds: positional };
        break;
      case "list":
        input = { type: "listGroups", requestId, statesFilter: positional as group.GroupStateName[] };
        break;
      case "delete":
        input = { type: "deleteGroups", requestId, groupIds: positional };
        break;
      case "tick":
        input = { type: "tick", nowMs: Number(positional[0]) };
        break;
      case "advance":
        input = { type: "tick", nowMs: this.state.nowMs + Number(positional[0]) };
        break;
      case "state":
        return this.describeState(positional);
      default:
        throw new Error(`${c.file}:${c.line}: unknown command ${c.command}`);
    }
    if (input.type !== "tick") {
      this.requestNames.set(requestId, c.command);
      this.nextRequestId++;
    }
    const result = group.step(this.state, input);
    this.state = result.state;
    return this.formatReady(result.ready);
  }

  private formatAssignment(bytes: Uint8Array): string {
    try {
      return formatTopicPartitions(group.assignors.decodeAssignment(bytes).assignedPartitions);
    } catch {
      return `0x${Buffer.from(bytes).toString("hex")}`;
    }
  }

  formatReady(ready: group.Ready): string {
    const lines: string[] = [];
    for (const record of ready.persist) {
      switch (record.kind) {
        case "groupMetadata":
          lines.push(
            `persist group ${record.groupId} gen=${record.generationId} protocol=${record.protocolName ?? "-"} leader=${record.leaderId === null ? "-" : this.alias(record.leaderId)} members=[${record.members.map((m) => `${this.alias(m.memberId)}:${this.formatAssignment(m.assignment)}`).join(" ")}]`,
          );
          break;
        case "offsetCommit":
          lines.push(
            `persist offset ${record.groupId} ${record.topic}/${record.partition}=${record.offset} gen=${record.generationId}`,
          );
          break;
        case "offsetTombstone":
          lines.push(`persist offset-tombstone ${record.groupId} ${record.topic}/${record.partition}`);
          break;
        case "groupTombstone":
          lines.push(`persist group-tombstone ${record.groupId}`);
          break;
      }
    }
    for (const r of ready.respond) {
      const head = `respond #${r.requestId} ${r.kind}`;
      switch (r.kind) {
        case "joinGroup": {
          const err = group.errorName(r.errorCode);
          if (r.errorCode !== group.ErrorCode.NONE) {
            lines.push(`${head} ${err} member=${this.alias(r.memberId)}`);
            break;
          }
          const member = this.alias(r.memberId);
          const leader = this.alias(r.leaderId);
          if (r.members.length > 0) this.rosters.set(member, r.members);
          lines.push(
            `${head} ${err} gen=${r.generationId} protocol=${r.protocolName} leader=${leader} member=${member}${r.members.length > 0 ? ` roster=[${r.members.map((m) => this.alias(m.memberId)).join(" ")}]` : ""}`,
          );
          break;
        }
        case "syncGroup":
          lines.push(
            `${head} ${group.errorName(r.errorCode)}${r.errorCode === group.ErrorCode.NONE ? ` assignment=${this.formatAssignment(r.assignment)}` : ""}`,
          );
          break;
        case "heartbeat":
          lines.push(`${head} ${group.errorName(r.errorCode)}`);
          break;
        case "leaveGroup":
          lines.push(
            `${head} ${group.errorName(r.errorCode)} [${r.members.map((m) => `${m.memberId === "" ? `@${m.groupInstanceId}` : this.alias(m.memberId)}:${group.errorName(m.errorCode)}`).join(" ")}]`,
          );
          break;
        case "offsetCommit":
          lines.push(
            `${head} [${r.partitions.map((p) => `${p.topic}/${p.partition}:${group.errorName(p.errorCode)}`).join(" ")}]`,
          );
          break;
        case "offsetFetch":
          lines.push(
            `${head} ${group.errorName(r.errorCode)} [${r.partitions.map((p) => `${p.topic}/${p.partition}=${p.committedOffset}`).join(" ")}]`,
          );
          break;
        case "describeGroups":
          for (const g of r.groups) {
            lines.push(
              `${head} ${g.groupId} ${g.state} type=${g.protocolType || "-"} protocol=${g.protocolData || "-"} members=[${g.members.map((m) => `${this.alias(m.memberId)}${g.state === "Stable" ? `:${this.formatAssignment(m.assignment)}` : ""}`).join(" ")}]`,
            );
          }
          break;
        case "listGroups":
          lines.push(`${head} [${r.groups.map((g) => `${g.groupId}:${g.state}`).join(" ")}]`);
          break;
        case "deleteGroups":
          lines.push(
            `${head} [${r.results.map((x) => `${x.groupId}:${group.errorName(x.errorCode)}`).join(" ")}]`,
          );
          break;
      }
    }
    lines.push(`next-tick ${ready.nextTickAtMs ?? "-"}`);
    return lines.join("\n");
  }

  private describeState(groupIds: readonly string[]): string {
    const lines: string[] = [`now ${this.state.nowMs}`];
    const ids = groupIds.length > 0 ? groupIds : [...this.state.groups.keys()];
    for (const groupId of ids) {
      const g = this.state.groups.get(groupId);
      if (g === undefined) {
        lines.push(`${groupId}: absent`);
        continue;
      }
      const members = [...g.members.values()].map((m) => {
        const flags = [m.awaitingJoin ? "joining" : "", m.awaitingSync ? "syncing" : "", m.isNew ? "new" : ""]
          .filter((f) => f !== "")
          .join(",");
        return `${this.alias(m.memberId)}${flags ? `(${flags})` : ""}`;
      });
      const timer = g.join === null ? "" : ` join-deadline=${g.join.deadlineMs}`;
      lines.push(
        `${groupId}: ${g.state} gen=${g.generationId} leader=${g.leaderId === null ? "-" : this.alias(g.leaderId)} members=[${members.join(" ")}] pending=${g.pendingMembers.size} offsets=${g.offsetCount}${timer}`,
      );
    }
    return lines.join("\n");
  }
}
