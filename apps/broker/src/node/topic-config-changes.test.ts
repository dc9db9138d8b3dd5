/**
 * The checks before a topic config change reaches the controller, without a broker: the four
 * IncrementalAlterConfigs operations, the refusals Kafka answers, AlterConfigs' replacement of the
 * whole set, and when a committed image counts as a change of a topic's configs. A fast-check
 * property pins the rule both forms keep: whatever they accept leaves configs that CreateTopics
 * itself would accept.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import fc from "fast-check";
import { parseCli } from "../config/cli.ts";
import {
  checkIncrementalChange,
  checkReplacement,
  configOperation,
  topicConfigsChanged,
} from "./topic-config-changes.ts";
import { checkTopicConfigs, topicConfigDefinitions } from "./topic-configs.ts";

const cli = parseCli(["--storage", "memory"], {});
if (cli.kind === "help") throw new Error("unexpected help");
const broker = cli.config;

const { set, delete: remove, append, subtract } = configOperation;

describe("topic config changes", () => {
  test("SET stores the trimmed value, DELETE removes a held key, unchanged keys are left out", () => {
    const checked = checkIncrementalChange(
      "t",
      { "retention.ms": "5000", "segment.ms": "60000", preallocate: "false" },
      [
        { name: "retention.ms", configOperation: set, value: " 1000 " },
        { name: "segment.ms", configOperation: remove, value: null },
        { name: "preallocate", configOperation: set, value: "FALSE" },
      ],
      broker,
    );
    expect(checked).toEqual({
      _tag: "Valid",
      change: { name: "t", set: { "retention.ms": "1000" }, delete: ["segment.ms"] },
    });
  });

  test("APPEND and SUBTRACT work on list configs from their default, and are refused on others", () => {
    const appended = checkIncrementalChange(
      "t",
      {},
      [{ name: "cleanup.policy", configOperation: append, value: "compact,delete" }],
      broker,
    );
    expect(appended).toMatchObject({ change: { set: { "cleanup.policy": "delete,compact" }, delete: [] } });
    const subtracted = checkIncrementalChange(
      "t",
      { "cleanup.policy": "delete,compact" },
      [{ name: "cleanup.policy", configOperation: subtract, value: "delete" }],
      broker,
    );
    expect(subtracted).toMatchObject({ change: { set: { "cleanup.policy": "compact" } } });
    expect(
      checkIncrementalChange(
        "t",
        {},
        [{ name: "retention.ms", configOperation: subtract, value: "1" }],
        broker,
      ),
    ).toEqual({
      _tag: "Invalid",
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: "Config value subtract is not allowed for config key: retention.ms",
    });
  });

  test("refusals: duplicate keys, unknown names, null values, bad values, rules between values, unknown operations", () => {
    const refusal = (entries: { name: string; configOperation: number; value: string | null }[]) => {
      const checked = checkIncrementalChange("t", { "max.compaction.lag.ms": "100" }, entries, broker);
      return checked._tag === "Invalid" ? [checked.errorCode, checked.errorMessage] : null;
    };
    expect(
      refusal([
        { name: "retention.ms", configOperation: set, value: "1" },
        { name: "retention.ms", configOperation: remove, value: null },
      ]),
    ).toEqual([ErrorCode.INVALID_REQUEST, "Error due to duplicate config keys"]);
    expect(refusal([{ name: "nope", configOperation: remove, value: null }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      "Unknown topic config name: nope",
    ]);
    expect(refusal([{ name: "retention.ms", configOperation: set, value: null }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      "Null value not supported for topic configs: retention.ms",
    ]);
    expect(refusal([{ name: "segment.bytes", configOperation: set, value: "10" }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      "Invalid value 10 for configuration segment.bytes: Value must be at least 61",
    ]);
    // The rule between two values is checked on the result, including keys the request did not name.
    expect(refusal([{ name: "min.compaction.lag.ms", configOperation: set, value: "200" }])).toEqual([
      ErrorCode.INVALID_CONFIG,
      "conflict topic config setting min.compaction.lag.ms (200) > max.compaction.lag.ms (100)",
    ]);
    expect(refusal([{ name: "retention.ms", configOperation: 7, value: "1" }])).toEqual([
      ErrorCode.INVALID_REQUEST,
      "unknown config operation 7 for retention.ms",
    ]);
  });

  test("a key held from before configs were checked may be deleted, and is not kept by other changes", () => {
    const stored = { "legacy.key": "x", "retention.ms": "soon" };
    expect(
      checkIncrementalChange(
        "t",
        stored,
        [{ name: "legacy.key", configOperation: remove, value: null }],
        broker,
      ),
    ).toEqual({ _tag: "Valid", change: { name: "t", set: {}, delete: ["legacy.key"] } });
    // Changing another key leaves the held ones as they are (the broker's value applies to them).
    expect(
      checkIncrementalChange(
        "t",
        stored,
        [{ name: "segment.ms", configOperation: set, value: "1000" }],
        broker,
      ),
    ).toEqual({ _tag: "Valid", change: { name: "t", set: { "segment.ms": "1000" }, delete: [] } });
  });

  test("AlterConfigs replaces the whole set: every other held or known key is removed", () => {
    const checked = checkReplacement(
      "t",
      { "retention.ms": "5000", "legacy.key": "x" },
      [{ name: "segment.ms", value: "1000" }],
      broker,
    );
    if (checked._tag !== "Valid") throw new Error(checked.errorMessage);
    expect(checked.change.set).toEqual({ "segment.ms": "1000" });
    expect(checked.change.delete).toContain("retention.ms");
    expect(checked.change.delete).toContain("legacy.key");
    expect(checked.change.delete).toContain("cleanup.policy");
    expect(checked.change.delete).not.toContain("segment.ms");
    expect(checkReplacement("t", {}, [{ name: "retention.ms", value: "-9" }], broker)).toEqual({
      _tag: "Invalid",
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "Invalid value -9 for configuration retention.ms: Value must be at least -1",
    });
  });

  test("a change of configs is the same topic with other keys or values", () => {
    const topic = { name: "t", topicId: "a", configs: { "retention.ms": "1" }, partitions: [] };
    expect(topicConfigsChanged(undefined, topic)).toBe(false);
    expect(topicConfigsChanged(topic, topic)).toBe(false);
    expect(topicConfigsChanged({ ...topic, configs: { "retention.ms": "1" } }, topic)).toBe(false);
    expect(topicConfigsChanged({ ...topic, configs: { "retention.ms": "2" } }, topic)).toBe(true);
    expect(topicConfigsChanged({ ...topic, configs: {} }, topic)).toBe(true);
    expect(topicConfigsChanged({ ...topic, configs: { "retention.ms": "1", x: "1" } }, topic)).toBe(true);
    // A topic recreated under the same name opens new replicas; it is no change of configs.
    expect(topicConfigsChanged({ ...topic, topicId: "b", configs: {} }, topic)).toBe(false);
  });

  test("property: whatever either form accepts leaves configs CreateTopics accepts", () => {
    const names = topicConfigDefinitions.map((d) => d.name);
    const values = [
      "1",
      "0",
      "-1",
      "1000",
      "delete",
      "compact",
      "true",
      "x",
      " 5 ",
      "producer",
      "2147483648",
    ];
    const entry = fc.record({
      name: fc.constantFrom(...names),
      configOperation: fc.constantFrom(set, remove, append, subtract),
      value: fc.option(fc.constantFrom(...values), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 6 }),
        fc.boolean(),
        (entries, whole) => {
          const stored = { "retention.ms": "5000", "cleanup.policy": "delete" };
          const checked = whole
            ? checkReplacement(
                "t",
                stored,
                entries.filter((e) => e.value !== null).map((e) => ({ name: e.name, value: e.value })),
                broker,
              )
            : checkIncrementalChange("t", stored, entries, broker);
          if (checked._tag === "Invalid") return;
          const after: Record<string, string> = { ...stored, ...checked.change.set };
          for (const k of checked.change.delete) delete after[k];
          const recheck = checkTopicConfigs(
            Object.entries(after).map(([name, value]) => ({ name, value })),
            broker,
          );
          expect(recheck).toEqual({ _tag: "Valid", configs: after });
        },
      ),
      { numRuns: 500, seed: 44 },
    );
  });
});
