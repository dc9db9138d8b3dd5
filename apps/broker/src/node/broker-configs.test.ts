/**
 * Dynamic broker configs without a broker: which names change live, how IncrementalAlterConfigs and
 * AlterConfigs on a BROKER resource are checked (values as their topic synonyms, read-only names
 * refused naming them), the settings in force with Kafka's precedence, the source DescribeConfigs
 * reports, and when a committed image counts as a change for one broker. A fast-check property pins
 * that whatever a change is accepted with leaves settings the log accepts.
 */
import { describe, expect, test } from "bun:test";
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import fc from "fast-check";
import { parseCli } from "../config/cli.ts";
import {
  brokerConfigSource,
  brokerConfigSourceOf,
  brokerConfigsChanged,
  checkBrokerIncrementalChange,
  checkBrokerReplacement,
  dynamicBrokerConfigDefinitions,
  effectiveBrokerConfig,
} from "./broker-configs.ts";
import { brokerLogConfig } from "./storage.ts";
import { configOperation } from "./topic-config-changes.ts";
import { topicLogConfig } from "./topic-configs.ts";

const cli = parseCli(["--storage", "memory"], {});
if (cli.kind === "help") throw new Error("unexpected help");
const base = cli.config;
const { set, delete: remove, append } = configOperation;

const imageWith = (brokerConfigs: Record<string, Record<string, string>>): controller.MetadataImage => ({
  ...controller.emptyImage,
  brokerConfigs,
});

describe("checking a broker resource's change", () => {
  test("SET and DELETE of dynamic names; values stored as their topic synonyms store them", () => {
    expect(
      checkBrokerIncrementalChange(
        "",
        { "log.roll.ms": "1000" },
        [
          { name: "log.retention.ms", configOperation: set, value: " 3600000 " },
          { name: "log.roll.ms", configOperation: remove, value: null },
          { name: "min.insync.replicas", configOperation: remove, value: null },
        ],
        base,
        base,
      ),
    ).toEqual({
      _tag: "Valid",
      change: { name: "", set: { "log.retention.ms": "3600000" }, delete: ["log.roll.ms"] },
    });
  });

  test("a read-only or unknown name is INVALID_REQUEST naming it; a bad value INVALID_CONFIG naming the key", () => {
    const readOnly = checkBrokerIncrementalChange(
      "1",
      {},
      [
        { name: "listeners", configOperation: set, value: "PLAINTEXT://:1" },
        { name: "no.such", configOperation: set, value: "1" },
      ],
      base,
      base,
    );
    expect(readOnly).toMatchObject({ _tag: "Invalid", errorCode: ErrorCode.INVALID_REQUEST });
    if (readOnly._tag === "Invalid")
      expect(readOnly.errorMessage).toStartWith(
        "Cannot update these configs dynamically: listeners, no.such (",
      );
    expect(
      checkBrokerIncrementalChange(
        "1",
        {},
        [{ name: "min.insync.replicas", configOperation: set, value: "0" }],
        base,
        base,
      ),
    ).toEqual({
      _tag: "Invalid",
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1",
    });
    expect(
      checkBrokerIncrementalChange(
        "1",
        {},
        [{ name: "log.segment.bytes", configOperation: set, value: "x" }],
        base,
        base,
      ),
    ).toMatchObject({
      errorMessage: "Invalid value x for configuration log.segment.bytes: Not a number of type INT",
    });
    expect(
      checkBrokerIncrementalChange(
        "1",
        {},
        [
          { name: "log.retention.ms", configOperation: set, value: "1" },
          { name: "log.retention.ms", configOperation: set, value: "2" },
        ],
        base,
        base,
      ),
    ).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
  });

  test("APPEND works on log.cleanup.policy from the value in force; elsewhere it is INVALID_REQUEST", () => {
    expect(
      checkBrokerIncrementalChange(
        "",
        {},
        [{ name: "log.cleanup.policy", configOperation: append, value: "compact" }],
        base,
        base,
      ),
    ).toEqual({
      _tag: "Valid",
      change: { name: "", set: { "log.cleanup.policy": "delete,compact" }, delete: [] },
    });
    expect(
      checkBrokerIncrementalChange(
        "",
        {},
        [{ name: "log.retention.ms", configOperation: append, value: "1" }],
        base,
        base,
      ),
    ).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: "Config value append is not allowed for config key: log.retention.ms",
    });
  });

  test("AlterConfigs replaces the resource's whole dynamic set", () => {
    expect(
      checkBrokerReplacement(
        "2",
        { "log.roll.ms": "1000", "log.retention.ms": "5" },
        [{ name: "log.retention.ms", value: "9" }],
        base,
      ),
    ).toEqual({
      _tag: "Valid",
      change: {
        name: "2",
        set: { "log.retention.ms": "9" },
        delete: ["log.roll.ms"],
      },
    });
    expect(checkBrokerReplacement("2", {}, [{ name: "num.partitions", value: "3" }], base)).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
    });
  });
});

describe("the settings in force", () => {
  test("per-broker over the default over the start-up value; other brokers' values do not apply", () => {
    const image = imageWith({
      "": { "log.retention.ms": "1000", "message.max.bytes": "5000" },
      [String(base.nodeId)]: { "log.retention.ms": "2000" },
      [String(base.nodeId + 1)]: { "min.insync.replicas": "3" },
    });
    const live = effectiveBrokerConfig(base, image);
    expect(live.retentionMs).toBe(2000);
    expect(live.messageBytesMax).toBe(5000);
    expect(live.minInsyncReplicas).toBe(base.minInsyncReplicas);
    expect(live.segmentBytesMax).toBe(base.segmentBytesMax);
    expect(effectiveBrokerConfig(base, controller.emptyImage)).toBe(base);
    // A topic without its own cleanup.policy follows the dynamic default: compact keeps every segment.
    const compacted = effectiveBrokerConfig(base, imageWith({ "": { "log.cleanup.policy": "compact" } }));
    expect(topicLogConfig({}, compacted).retentionMs).toBe(-1);
    expect(topicLogConfig({ "cleanup.policy": "delete" }, compacted).retentionMs).toBe(base.retentionMs);
  });

  test("sources: DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, then the start-up value", () => {
    const image = imageWith({ "": { "log.retention.ms": "1" }, "7": { "log.segment.bytes": "1048576" } });
    expect(brokerConfigSourceOf("log.segment.bytes", "1073741824", image, 7)).toBe(
      brokerConfigSource.dynamicBroker,
    );
    expect(brokerConfigSourceOf("log.retention.ms", "604800000", image, 7)).toBe(
      brokerConfigSource.dynamicDefault,
    );
    expect(brokerConfigSourceOf("log.segment.bytes", "1073741824", image, 8)).toBe(
      brokerConfigSource.default,
    );
    expect(brokerConfigSourceOf("log.segment.bytes", "4096", image, 8)).toBe(brokerConfigSource.staticBroker);
  });

  test("a change counts for a broker only when its own resource or the default changed", () => {
    const before = imageWith({ "": { a: "1" }, "2": { b: "1" } });
    expect(brokerConfigsChanged(before, imageWith({ "": { a: "1" }, "2": { b: "2" } }), 1)).toBe(false);
    expect(brokerConfigsChanged(before, imageWith({ "": { a: "1" }, "2": { b: "2" } }), 2)).toBe(true);
    expect(brokerConfigsChanged(before, imageWith({ "": { a: "2" }, "2": { b: "1" } }), 1)).toBe(true);
    expect(brokerConfigsChanged(before, controller.emptyImage, 3)).toBe(true);
    expect(brokerConfigsChanged(controller.emptyImage, controller.emptyImage, 3)).toBe(false);
  });

  test("property: whatever a change is accepted with leaves log settings the storage engine accepts", () => {
    const names = dynamicBrokerConfigDefinitions.map((d) => d.name);
    const value = fc.oneof(
      fc.integer({ min: -5, max: 1 << 30 }).map(String),
      fc.constantFrom("delete", "compact", "delete,compact", "9223372036854775807", "x", ""),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...names), { maxLength: 4 }),
        fc.array(value, { minLength: 4, maxLength: 4 }),
        (keys, values) => {
          const checked = checkBrokerIncrementalChange(
            "",
            {},
            keys.map((name, i) => ({ name, configOperation: set, value: values[i]! })),
            base,
            base,
          );
          if (checked._tag === "Invalid") return;
          const live = effectiveBrokerConfig(base, imageWith({ "": { ...checked.change.set } }));
          expect(() => brokerLogConfig(live)).not.toThrow();
          expect(() => topicLogConfig({}, live)).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });
});
