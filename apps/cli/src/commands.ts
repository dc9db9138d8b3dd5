/**
 * What each command asks the broker and prints: text for people (tables), or with `--output json`
 * one JSON document on stdout that scripts parse. Owns the shape of that output (the README documents
 * it). Must never print errors: they are thrown to main, which owns stderr and exit codes.
 */
import { ErrorCode } from "@eddy/protocol";
import { runAccessCommand } from "./access-commands.ts";
import { type Admin, KafkaError } from "./admin.ts";
import type { Command } from "./args.ts";
import { alterPartitions, describeCluster } from "./cluster.ts";
import { alterConfigs, describeConfigs } from "./configs.ts";
import { consume } from "./consume.ts";
import type { ConsumedRecord } from "./format.ts";
import { deleteGroup } from "./group-delete.ts";
import { produce } from "./produce.ts";
import { resetOffsets } from "./reset-offsets.ts";
import { orDash, table } from "./table.ts";

/** What a command leaves to print: its result on stdout, or (for `consume`, which printed its records as it went) a note on stderr. */
export type CommandOutput = string | { readonly note: string };

const textDecoder = new TextDecoder();
const isCode = (error: unknown, code: number): boolean => error instanceof KafkaError && error.code === code;
const textOf = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : textDecoder.decode(bytes);

/** `consume --output json`: one JSON object a line, key, value and headers as UTF-8 text. */
function jsonRecord(r: ConsumedRecord): string {
  return `${JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestampMs,
    key: textOf(r.key),
    value: textOf(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: textOf(h.value) })),
  })}\n`;
}

export async function runCommand(
  admin: Admin,
  command: Exclude<Command, { kind: "help" | "dump-log" }>,
  output: "text" | "json",
): Promise<CommandOutput> {
  const json = (value: unknown): string => JSON.stringify(value, null, 2);
  switch (command.kind) {
    case "topics list": {
      const topics = await admin.listTopics();
      if (output === "json") return json(topics);
      return table(
        ["TOPIC", "PARTITIONS", "REPLICATION-FACTOR"],
        topics.map((t) => [t.name, String(t.partitions), String(t.replicationFactor)]),
      );
    }
    case "topics create": {
      let created: { partitions: number; replicationFactor: number };
      try {
        created = await admin.createTopic(
          command.topic,
          command.partitions,
          command.replicationFactor,
          command.configs,
        );
      } catch (error) {
        if (!command.ifNotExists || !isCode(error, ErrorCode.TOPIC_ALREADY_EXISTS)) throw error;
        if (output === "json") return json({ topic: command.topic, created: false });
        return `Topic ${command.topic} already exists; nothing done (--if-not-exists).`;
      }
      const result = { topic: command.topic, created: true, ...created, configs: command.configs };
      if (output === "json") return json(result);
      return `Created topic ${command.topic} (partitions ${created.partitions}, replication factor ${created.replicationFactor}).`;
    }
    case "topics describe": {
      const topic = await admin.describeTopic(command.topic);
      if (output === "json") return json(topic);
      const replicationFactor = Math.max(0, ...topic.partitions.map((p) => p.replicas.length));
      const heading = `Topic: ${topic.name}  PartitionCount: ${topic.partitions.length}  ReplicationFactor: ${replicationFactor}`;
      const rows = topic.partitions.map((p) => [
        String(p.partition),
        String(p.leader),
        p.replicas.join(","),
        p.isr.join(","),
        orDash(p.logStartOffset),
        orDash(p.logEndOffset),
        orDash(p.error),
      ]);
      return `${heading}\n${table(["PARTITION", "LEADER", "REPLICAS", "ISR", "LOG-START-OFFSET", "LOG-END-OFFSET", "ERROR"], rows)}`;
    }
    case "topics alter": {
      let before: number;
      try {
        before = await alterPartitions(admin, command.topic, command.partitions);
      } catch (error) {
        if (!command.ifExists || !isCode(error, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw error;
        if (output === "json") return json({ topic: command.topic, altered: false });
        return `Topic ${command.topic} does not exist; nothing done (--if-exists).`;
      }
      if (output === "json")
        return json({ topic: command.topic, partitionsBefore: before, partitions: command.partitions });
      return `Altered topic ${command.topic}: ${before} -> ${command.partitions} partitions.`;
    }
    case "cluster": {
      const cluster = await describeCluster(admin);
      if (output === "json") return json(cluster);
      const rows = table(
        ["BROKER", "HOST", "PORT", "RACK", "CONTROLLER"],
        cluster.brokers.map((b) => [
          String(b.nodeId),
          b.host,
          String(b.port),
          orDash(b.rack),
          b.nodeId === cluster.controllerId ? "yes" : "-",
        ]),
      );
      return `Cluster ID: ${orDash(cluster.clusterId)}  Controller: ${cluster.controllerId < 0 ? "-" : cluster.controllerId}  Brokers: ${cluster.brokers.length}\n${rows}`;
    }
    case "acls list":
    case "acls create":
    case "acls delete":
    case "users list":
    case "users describe":
    case "users alter":
    case "users delete":
      return await runAccessCommand(admin, command, output);
    case "configs describe": {
      const entities = await describeConfigs(admin, command.entityType, command.entityName);
      if (output === "json") return json(entities);
      return entities
        .map((e) => {
          const what =
            e.entityType === "topics"
              ? `topic '${e.entityName}'`
              : e.entityName === ""
                ? "the brokers' cluster-wide default"
                : `broker ${e.entityName}`;
          const rows = table(
            ["NAME", "VALUE", "SOURCE", "READ-ONLY"],
            e.configs.map((c) => [
              c.name,
              c.sensitive && c.value === null ? "(sensitive)" : orDash(c.value),
              c.source,
              c.readOnly ? "yes" : "no",
            ]),
          );
          return `Configs for ${what}:\n${rows}`;
        })
        .join("\n\n");
    }
    case "configs alter": {
      await alterConfigs(admin, command.entityType, command.entityName, command.set, command.remove);
      if (output === "json") {
        return json({
          entityType: command.entityType,
          entityName: command.entityName,
          set: command.set,
          deleted: command.remove,
          altered: true,
        });
      }
      return command.entityName === "" && command.entityType === "brokers"
        ? "Altered the brokers' cluster-wide default configs."
        : `Altered the configs of ${command.entityType} '${command.entityName}'.`;
    }
    case "topics delete": {
      try {
        await admin.deleteTopic(command.topic);
      } catch (error) {
        if (!command.ifExists || !isCode(error, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw error;
        if (output === "json") return json({ topic: command.topic, deleted: false });
        return `Topic ${command.topic} does not exist; nothing done (--if-exists).`;
      }
      if (output === "json") return json({ topic: command.topic, deleted: true });
      return `Deleted topic ${command.topic}.`;
    }
    case "groups list": {
      const groups = await admin.listGroups();
      if (output === "json") return json(groups);
      return table(
        ["GROUP", "STATE", "PROTOCOL-TYPE"],
        groups.map((g) => [g.groupId, g.state, orDash(g.protocolType)]),
      );
    }
    case "groups describe": {
      const group = await admin.describeGroup(command.group);
      if (output === "json") return json(group);
      const c = group.coordinator;
      const heading =
        `Group: ${group.groupId}  State: ${group.state}  Protocol: ${orDash(group.protocol)}  ` +
        `Members: ${group.members.length}  Coordinator: ${c.nodeId} (${c.host}:${c.port})`;
      const totalLag = group.offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0);
      const offsets = table(
        ["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"],
        group.offsets.map((o) => [
          o.topic,
          String(o.partition),
          orDash(o.committedOffset),
          orDash(o.logEndOffset),
          orDash(o.lag),
          orDash(o.memberId),
          orDash(o.clientHost),
          orDash(o.clientId),
        ]),
      );
      const members =
        group.members.length === 0
          ? "No active members."
          : table(
              ["CONSUMER-ID", "HOST", "CLIENT-ID", "ASSIGNMENT"],
              group.members.map((m) => [
                m.memberId,
                m.clientHost,
                m.clientId,
                m.assignment.map((a) => `${a.topic}(${a.partitions.join(",")})`).join(" ") || "-",
              ]),
            );
      return `${heading}\n\n${offsets}\nTotal lag: ${totalLag}\n\n${members}`;
    }
    case "produce": {
      const result = await produce(admin, command, Bun.stdin.stream());
      if (output === "json") return json(result);
      const where = result.partitions
        .map((p) =>
          p.firstOffset === null
            ? `partition ${p.partition}: ${p.records}`
            : `partition ${p.partition}: offsets ${p.firstOffset}-${p.lastOffset}`,
        )
        .join(", ");
      const acks = result.acks === 0 ? " (acks 0: sent, not acknowledged)" : "";
      return `Produced ${result.records} record(s) to ${result.topic}${where === "" ? "" : ` (${where})`}${acks}.`;
    }
    case "consume": {
      const render =
        command.render ??
        (output === "json" ? jsonRecord : (r: ConsumedRecord) => `${textOf(r.value) ?? ""}\n`);
      const { records } = await consume(admin, { ...command, render });
      return { note: `Processed a total of ${records} messages` };
    }
    case "groups delete": {
      await deleteGroup(admin, command.group);
      if (output === "json") return json({ groupId: command.group, deleted: true });
      return `Deleted group ${command.group}.`;
    }
    case "groups reset-offsets": {
      const plan = await resetOffsets(admin, command.group, command.topics, command.spec, command.execute);
      if (output === "json") return json(plan);
      const rows = table(
        ["TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET", "LOG-START-OFFSET", "LOG-END-OFFSET"],
        plan.partitions.map((p) => [
          p.topic,
          String(p.partition),
          orDash(p.currentOffset),
          String(p.newOffset),
          String(p.logStartOffset),
          String(p.logEndOffset),
        ]),
      );
      const footer = plan.executed
        ? `Committed the new offsets of ${plan.partitions.length} partition(s) for group ${plan.groupId}.`
        : `Dry run: nothing committed. Add --execute to commit these offsets (group ${plan.groupId} is ${plan.state}).`;
      return `${rows}\n${footer}`;
    }
  }
}
