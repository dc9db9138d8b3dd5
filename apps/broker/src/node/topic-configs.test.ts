/**
 * The topic-config table against Kafka's rules, without a broker: list and string values, the
 * throttled-replica format, compression levels, the rule between the compaction lags, the spelling
 * values are stored in, the configs in effect for a topic stored before they were checked, and
 * what a topic's configs make of its log and its batch limit.
 */
import { describe, expect, test } from "bun:test";
import { parseCli } from "../config/cli.ts";
import {
  checkTopicConfigs,
  effectiveTopicConfigs,
  topicLogConfig,
  topicMessageBytesMax,
} from "./topic-configs.ts";

const cli = parseCli(["--storage", "memory"], {});
if (cli.kind === "help") throw new Error("unexpected help");
const broker = cli.config;

const problemOf = (name: string, value: string | null): string | null => {
  const checked = checkTopicConfigs([{ name, value }], broker);
  return checked._tag === "Invalid" ? checked.problem : null;
};

describe("topic configs", () => {
  test("valid values pass, stored trimmed and with booleans in lower case", () => {
    const checked = checkTopicConfigs(
      [
        { name: "cleanup.policy", value: "compact, delete" },
        { name: "preallocate", value: " False " },
        { name: "retention.ms", value: " -1" },
        { name: "leader.replication.throttled.replicas", value: "0:1,1:2" },
        { name: "follower.replication.throttled.replicas", value: "*" },
        { name: "compression.gzip.level", value: "-1" },
        { name: "compression.zstd.level", value: "-5" },
        { name: "flush.messages", value: "9223372036854775807" },
        { name: "min.cleanable.dirty.ratio", value: "0.25" },
        { name: "message.format.version", value: "3.0-IV1" },
      ],
      broker,
    );
    expect(checked).toEqual({
      _tag: "Valid",
      configs: {
        "cleanup.policy": "compact, delete",
        preallocate: "false",
        "retention.ms": "-1",
        "leader.replication.throttled.replicas": "0:1,1:2",
        "follower.replication.throttled.replicas": "*",
        "compression.gzip.level": "-1",
        "compression.zstd.level": "-5",
        "flush.messages": "9223372036854775807",
        "min.cleanable.dirty.ratio": "0.25",
        "message.format.version": "3.0-IV1",
      },
    });
  });

  test("invalid values are refused with Kafka's words, naming the config", () => {
    expect(problemOf("cleanup.policy", "delete,shred")).toBe(
      "Invalid value delete,shred for configuration cleanup.policy: String must be one of: compact, delete",
    );
    expect(problemOf("leader.replication.throttled.replicas", "0-1")).toContain(
      "leader.replication.throttled.replicas: must be the literal '*' or a list of replicas",
    );
    expect(problemOf("compression.gzip.level", "0")).toContain("Value must be between 1 and 9");
    expect(problemOf("compression.lz4.level", "18")).toContain("Value must be no more than 17");
    expect(problemOf("retention.ms", "9223372036854775808")).toContain("Not a number of type LONG");
    expect(problemOf("min.cleanable.dirty.ratio", "NaN")).toContain("Not a number of type DOUBLE");
    expect(problemOf("message.format.version", "latest")).toContain("not a Kafka version");
    expect(problemOf("segment.bytes", "60")).toContain("Value must be at least 61");
    expect(
      checkTopicConfigs(
        [
          { name: "min.compaction.lag.ms", value: "10" },
          { name: "max.compaction.lag.ms", value: "5" },
        ],
        broker,
      ),
    ).toEqual({
      _tag: "Invalid",
      problem: "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)",
    });
    expect(
      checkTopicConfigs(
        [
          { name: "retention.ms", value: "1" },
          { name: "retention.ms", value: "2" },
        ],
        broker,
      ),
    ).toEqual({ _tag: "Invalid", problem: "Duplicate topic config name: retention.ms" });
  });

  test("a topic's effective configs make its log settings and its batch limit", () => {
    const own = topicLogConfig({ "retention.ms": "60000", "retention.bytes": "-7" }, broker);
    expect([own.retentionMs, own.retentionBytesMax]).toEqual([60000, -1]);
    // Without `delete` in cleanup.policy no segment is deleted by age or size, as in Kafka.
    const compacted = topicLogConfig({ "cleanup.policy": "compact", "retention.ms": "60000" }, broker);
    expect([compacted.retentionMs, compacted.retentionBytesMax]).toEqual([-1, -1]);
    // Configs stored before they were checked: the invalid ones give way to the broker's values.
    const lines: string[] = [];
    const stored = { "segment.bytes": "12", "retention.ms": "5000", "max.message.bytes": "x", y: "1" };
    const effective = effectiveTopicConfigs(stored, broker, (line) => lines.push(line));
    expect(effective).toEqual({ "retention.ms": "5000" });
    expect(lines.length).toBe(3);
    expect(lines[0]).toContain("segment.bytes: Value must be at least 61");
    expect(topicLogConfig(effective, broker).segmentBytesMax).toBe(broker.segmentBytesMax);
    expect(topicMessageBytesMax(effective, broker)).toBe(broker.messageBytesMax);
    expect(topicMessageBytesMax({ "max.message.bytes": "512" }, broker)).toBe(512);
  });
});
